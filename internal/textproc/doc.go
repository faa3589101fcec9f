// Package textproc is the text intelligence of the hotline: Chinese word
// segmentation (分词), masking of personal data, the subject classifier,
// hotspot clustering (热点发现) and similar-order search.
//
// It is pure: no database, no HTTP, no files at run time. The store and the
// API call into it; everything it needs (dictionaries, stop words) is
// embedded. Every figure quoted in comments here was measured by the
// commands listed in docs/intelligence.md.
//
// Binary size. Segmentation uses github.com/go-ego/gse, which embeds its
// own ~38 MB of dictionaries unless built with the tag "ne". We do not
// rely on the tag (the project is built with plain "go build"): the linker
// drops those strings as long as the only gse functions reachable are the
// ones we call. That stops being true the moment a gse.Segmenter value is
// reachable from an interface while the binary also uses reflection to call
// methods by name (html/template does): then every exported gse method is
// kept, and with it the 38 MB. So this package never stores a gse type in a
// struct field or an interface; it holds the gse segmenter only inside
// closures. TestBinaryDoesNotEmbedGseDictionaries guards this.
package textproc
