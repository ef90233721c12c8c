package image

import (
	"fmt"
	"regexp"
	"strings"
)

const (
	defaultDomain    = "docker.io"
	legacyDomain     = "index.docker.io"
	officialRepoPath = "library"
	defaultTag       = "latest"
	maxNameLength    = 255
)

var (
	// A domain is a host name (dot-separated labels), a bracketed IPv6
	// address, or "localhost", optionally followed by a port.
	domainRE = regexp.MustCompile(`^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[a-fA-F0-9:]+\])(?::[0-9]+)?$`)
	// A path component is lowercase alphanumerics joined by '.', '_',
	// "__" or runs of '-'.
	componentRE = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$`)
	tagRE       = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
)

// Reference is a parsed, normalized image reference such as
// "docker.io/library/hello:1" or "example.com/team/hello:v2".
type Reference struct {
	// Name is the repository including its domain, e.g. "example.com/hello".
	Name string
	// Tag is the tag, e.g. "1". It is "latest" when the input had none.
	Tag string
}

// String returns "Name:Tag".
func (r Reference) String() string { return r.Name + ":" + r.Tag }

// ParseReference parses an image reference of the form
// [DOMAIN[:PORT]/]PATH[:TAG] and normalizes it the way Docker, nerdctl and
// the containerd CRI plugin do: a reference without a domain is placed on
// docker.io (under "library/" when it has a single path component) and a
// missing tag becomes "latest". Digest references (NAME@sha256:...) are
// rejected: a build cannot know its own digest in advance.
func ParseReference(s string) (Reference, error) {
	bad := func(format string, args ...any) (Reference, error) {
		return Reference{}, fmt.Errorf("%w %q: %s", ErrInvalidReference, s, fmt.Sprintf(format, args...))
	}
	if s == "" {
		return bad("empty")
	}
	if strings.Contains(s, "@") {
		return bad("digest references are not allowed; use a tag")
	}
	if strings.ContainsAny(s, " \t\r\n") {
		return bad("contains whitespace")
	}

	name, tag := s, ""
	if i := strings.LastIndexByte(s, ':'); i > strings.LastIndexByte(s, '/') {
		name, tag = s[:i], s[i+1:]
		if !tagRE.MatchString(tag) {
			return bad("tag %q must be 1-128 letters, digits, '_', '.' or '-' and not start with '.' or '-'", tag)
		}
	}
	if tag == "" {
		tag = defaultTag
	}

	domain, path := splitDomain(name)
	if domain == "" || path == "" {
		return bad("missing repository name")
	}
	if !domainRE.MatchString(domain) {
		return bad("invalid registry host %q", domain)
	}
	for _, c := range strings.Split(path, "/") {
		if c == "" {
			return bad("empty path component")
		}
		if strings.ToLower(c) != c {
			return bad("repository name must be lowercase")
		}
		if !componentRE.MatchString(c) {
			return bad("invalid path component %q", c)
		}
	}
	full := domain + "/" + path
	if len(full) > maxNameLength {
		return bad("repository name longer than %d characters", maxNameLength)
	}
	return Reference{Name: full, Tag: tag}, nil
}

// splitDomain splits name into its registry domain and repository path.
// The first component is a domain only if it looks like one: it contains
// '.' or ':', is "localhost", or has uppercase letters (which a path may
// not have). Otherwise the domain is docker.io.
func splitDomain(name string) (domain, path string) {
	i := strings.IndexByte(name, '/')
	if i < 0 || (!strings.ContainsAny(name[:i], ".:") && name[:i] != "localhost" && strings.ToLower(name[:i]) == name[:i]) {
		domain, path = defaultDomain, name
	} else {
		domain, path = name[:i], name[i+1:]
	}
	if domain == legacyDomain {
		domain = defaultDomain
	}
	if domain == defaultDomain && path != "" && !strings.Contains(path, "/") {
		path = officialRepoPath + "/" + path
	}
	return domain, path
}
