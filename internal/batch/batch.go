// Package batch tells the operating system's scheduler that the process is
// a batch job, where it has such a notion (Linux).
//
// A run of idsync is noninteractive work that reads a directory server
// page by page, often one on the same host. Under Linux's default policy
// a thread that wakes up may preempt the one running on its core: each
// time the server hands idsync data, an idsync thread can push the server
// off its core, and the two keep waiting for each other. Under
// SCHED_BATCH idsync keeps its share of the CPU (its nice value is
// unchanged), but its woken threads wait for the next scheduler tick
// instead of preempting. On two cores next to slapd, a plan of 100,000
// people takes about a seventh less time and CPU that way (make bench).
package batch
