package postgres

// WithOnListen calls f each time the listener has (re)connected and is
// listening, so tests can wait for a reconnect instead of sleeping.
func WithOnListen(f func()) Option { return func(c *config) { c.onListen = f } }
