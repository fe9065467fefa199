package api

import (
	"net/http"

	"github.com/klauspost/compress/gzhttp"
)

// compressMinSize is the smallest answer worth compressing: below it the
// encoder's framing costs about what it saves.
const compressMinSize = 1024

// withCompression compresses answers of compressMinSize bytes or more for
// clients that send Accept-Encoding: gzip (every browser), or zstd (which
// gzhttp prefers when both are offered, as it is faster for a similar
// ratio). Streamed answers (@defer's multipart/mixed) stay streamed:
// gzhttp's Flush flushes the encoder and then the connection, and a flush
// before the threshold is reached decides for compression at once.
//
// BREACH-style attacks need a victim's browser to send credentials it
// attaches by itself; this API takes bearer headers only, never cookies.
//
// klauspost/compress gzhttp rather than net/http alone (which has no
// response compression) or a hand-written gzip writer: it handles the
// size threshold, Accept-Encoding q-values, Vary, Content-Length and
// already compressed content types, and it is maintained with the
// compress library it uses. Brotli is left out: browsers offer br only
// over HTTPS, which this server does not terminate, and
// andybalholm/brotli is an encoder, not a middleware: the threshold,
// negotiation and flushing would be ours to maintain.
func withCompression(next http.Handler) http.Handler {
	wrap, err := gzhttp.NewWrapper(gzhttp.MinSize(compressMinSize))
	if err != nil {
		panic(err) // the options are constants
	}
	return wrap(next)
}
