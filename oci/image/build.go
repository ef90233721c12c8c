package image

import (
	"fmt"
	"io"

	digest "github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

const (
	// OS and Architecture of the images built here.
	OS           = "wasip1"
	Architecture = "wasm"

	// AnnotationImageName is the index annotation containerd reads as the
	// full image name on import.
	AnnotationImageName = "io.containerd.image.name"
)

// Build writes an OCI image layout tar holding one image, described by
// opts, to w and returns the digest of the image manifest.
//
// All options and input files are checked before anything is written to w,
// so a failed validation leaves w untouched.
func Build(opts BuildOptions, w io.Writer) (digest.Digest, error) {
	p, err := validate(opts)
	if err != nil {
		return "", err
	}
	files, err := readEntries(p)
	if err != nil {
		return "", err
	}

	l, err := buildLayer(files)
	if err != nil {
		return "", err
	}
	layerBlob := newBlob(ocispec.MediaTypeImageLayerGzip, l.blob)

	config, err := jsonBlob(ocispec.MediaTypeImageConfig, newConfig(p, l.diffID))
	if err != nil {
		return "", fmt.Errorf("image config: %w", err)
	}
	manifest, err := jsonBlob(ocispec.MediaTypeImageManifest, ocispec.Manifest{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageManifest,
		Config:    config.desc,
		Layers:    []ocispec.Descriptor{layerBlob.desc},
	})
	if err != nil {
		return "", fmt.Errorf("image manifest: %w", err)
	}

	target := manifest.desc
	target.Platform = &ocispec.Platform{OS: OS, Architecture: Architecture}
	target.Annotations = map[string]string{
		AnnotationImageName:       p.ref.String(),
		ocispec.AnnotationRefName: p.ref.Tag,
	}
	if err := writeLayout(w, newIndex(target), []blob{layerBlob, config, manifest}); err != nil {
		return "", fmt.Errorf("writing image: %w", err)
	}
	return manifest.desc.Digest, nil
}

// newConfig returns the image config: platform, entrypoint, environment
// and the layer's diff ID. It has no creation time, to stay reproducible.
func newConfig(p *plan, diffID digest.Digest) ocispec.Image {
	return ocispec.Image{
		Platform: ocispec.Platform{OS: OS, Architecture: Architecture},
		Config: ocispec.ImageConfig{
			Entrypoint: []string{p.entrypoint},
			Env:        p.env,
		},
		RootFS: ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{diffID}},
	}
}
