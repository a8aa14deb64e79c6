// Package strpack copies many short strings into one allocation, for
// values that live long (a run's people and accounts) and would otherwise
// each be an object of their own for the allocator and the collector.
package strpack

import "strings"

// Packer hands out copies of strings that share one buffer. Grow it by the
// total length first; the copies stay valid even when it must grow again.
// The zero Packer is ready to use.
type Packer struct {
	b strings.Builder
}

// Grow makes room for n more bytes.
func (p *Packer) Grow(n int) { p.b.Grow(n) }

// Add returns a copy of s in the packer's buffer.
func (p *Packer) Add(s string) string {
	at := p.b.Len()
	p.b.WriteString(s)
	return p.b.String()[at:]
}
