package cli

func init() {
	register("", &command{
		name:    "image",
		summary: "build OCI images of WebAssembly modules",
	})
}
