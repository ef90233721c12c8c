package image

import (
	"archive/tar"
	"encoding/json"
	"fmt"
	"io"
	"sort"

	digest "github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// blob is a piece of content addressed by its descriptor.
type blob struct {
	desc ocispec.Descriptor
	data []byte
}

func newBlob(mediaType string, data []byte) blob {
	return blob{
		desc: ocispec.Descriptor{MediaType: mediaType, Digest: digest.FromBytes(data), Size: int64(len(data))},
		data: data,
	}
}

// jsonBlob marshals v and wraps it as a blob.
func jsonBlob(mediaType string, v any) (blob, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return blob{}, err
	}
	return newBlob(mediaType, data), nil
}

// writeLayout writes an OCI image layout as a tar stream: "oci-layout",
// "index.json" and every blob under "blobs/sha256/", each with fixed
// ownership, modes and times. Blobs are written once each, in digest order.
func writeLayout(w io.Writer, index ocispec.Index, blobs []blob) error {
	layoutJSON, err := json.Marshal(ocispec.ImageLayout{Version: ocispec.ImageLayoutVersion})
	if err != nil {
		return err
	}
	indexJSON, err := json.Marshal(index)
	if err != nil {
		return err
	}

	byDigest := map[digest.Digest]blob{}
	for _, b := range blobs {
		if b.desc.Digest.Algorithm() != digest.SHA256 {
			return fmt.Errorf("blob %s: only sha256 digests are supported", b.desc.Digest)
		}
		byDigest[b.desc.Digest] = b
	}
	digests := make([]digest.Digest, 0, len(byDigest))
	for d := range byDigest {
		digests = append(digests, d)
	}
	sort.Slice(digests, func(i, j int) bool { return digests[i] < digests[j] })

	tw := tar.NewWriter(w)
	writeFile := func(name string, data []byte) error {
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: fileMode, Size: int64(len(data)), ModTime: epoch}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	writeDir := func(name string) error {
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: dirMode, ModTime: epoch})
	}

	if err := writeFile(ocispec.ImageLayoutFile, layoutJSON); err != nil {
		return err
	}
	if err := writeFile(ocispec.ImageIndexFile, indexJSON); err != nil {
		return err
	}
	if err := writeDir(ocispec.ImageBlobsDir + "/"); err != nil {
		return err
	}
	if err := writeDir(ocispec.ImageBlobsDir + "/sha256/"); err != nil {
		return err
	}
	for _, d := range digests {
		if err := writeFile(ocispec.ImageBlobsDir+"/sha256/"+d.Encoded(), byDigest[d].data); err != nil {
			return err
		}
	}
	return tw.Close()
}

// newIndex returns an index.json whose single entry is the manifest itself.
func newIndex(manifest ocispec.Descriptor) ocispec.Index {
	return ocispec.Index{
		Versioned: specs.Versioned{SchemaVersion: 2},
		MediaType: ocispec.MediaTypeImageIndex,
		Manifests: []ocispec.Descriptor{manifest},
	}
}
