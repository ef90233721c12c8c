// Package image builds OCI images that carry a WebAssembly module.
//
// Build writes a self-contained OCI image layout as a tar stream (the
// format read by "ctr images import", "nerdctl load" and "skopeo copy
// oci-archive:"). The image has a single gzip-compressed layer holding the
// module and any extra files, an image config whose platform is
// wasip1/wasm and whose Entrypoint names the module, and an index.json that
// points straight at the image manifest.
//
// Output is reproducible: the same inputs always give byte-identical tar
// streams and therefore the same manifest digest.
package image
