package mapping

// putBounded sets (*m)[k] = v, making *m when nil and emptying it first
// when it holds limit entries: the mapper's caches start afresh rather than
// grow without bound.
func putBounded[K comparable, V any](m *map[K]V, limit int, k K, v V) {
	if *m == nil {
		*m = make(map[K]V)
	} else if len(*m) >= limit {
		clear(*m)
	}
	(*m)[k] = v
}
