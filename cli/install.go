package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/pelletier/go-toml/v2"
	"github.com/wasmtee/wasmtee/enclave"
	"github.com/wasmtee/wasmtee/enclave/control"
	"github.com/wasmtee/wasmtee/shim/bootstrap"
)

const (
	shimBinary      = "containerd-shim-wasmtee-v1"
	serverBinary    = bootstrap.ServerBinary
	hostBinary      = control.Arg0
	shimRuntimeType = "io.containerd.wasmtee.v1"
	installBackup   = ".wasmtee-backup"
	restartHint     = "restart containerd to load the runtime handler (e.g. systemctl restart containerd)"
)

// installExecutable returns the path of the running wasmtee binary; tests
// replace it.
var installExecutable = os.Executable

func init() {
	register("", &command{
		name:    "install",
		summary: "install the shim and configure containerd's runtime handler",
		usage: `Usage: wasmtee install [options]

Install wasmtee on this containerd node: copy containerd-shim-wasmtee-v1
(the binary containerd runs), wasmtee-shim (the serving shim it starts),
wasmtee-module-host (the process that hosts each container's module; both
are started from the shim's own directory) and this wasmtee binary into
--bin-dir (atomically, mode 0755, skipping copies that are already identical), and configure a CRI runtime handler with
runtime_type "io.containerd.wasmtee.v1" and an options table holding
cache_dir.

  containerd 2.x  writes the drop-in CONFIG-DIR/HANDLER.toml (version = 3)
                  and makes sure the main config imports it: it adds
                  imports = ["CONFIG-DIR/*.toml"] when the file has no
                  imports, appends the drop-in to an imports list that does
                  not cover it, or creates a missing main config with just
                  version = 3 and the imports line. The previous main config
                  is kept as CONFIG.wasmtee-backup; the rest of the file is
                  left as it was.
  containerd 1.x  does not edit containerd's config: prints the table to add.
                  containerd 1.x passes an options table only as
                  runtimeoptions.v1.Options, so the table names a file
                  (ConfigPath = "/etc/wasmtee/HANDLER.toml"), which install
                  writes with cache_dir.

It never restarts containerd: restart it afterwards so that it loads the
handler. Running it again changes nothing when everything is in place.

Options:
  --bin-dir DIR             where the binaries go (default /usr/local/bin);
                            containerd must find the shim on its PATH
  --shim PATH               shim binary to install (default: the
                            containerd-shim-wasmtee-v1 next to this wasmtee);
                            wasmtee-shim and wasmtee-module-host are taken
                            from its directory
  --handler NAME            CRI runtime handler name (default wasmtee)
  --cache-dir DIR           compile cache directory, written as cache_dir in
                            the handler's options (default /var/lib/wasmtee/cache;
                            - disables the cache)
  --containerd-version V    containerd's major version: 1, 2 or auto (default
                            auto: runs 'containerd --version')
  --containerd PATH         containerd binary to ask for its version (default:
                            containerd under --root, else on PATH)
  --config PATH             containerd's main config (default
                            /etc/containerd/config.toml)
  --config-dir DIR          drop-in directory for containerd 2.x (default
                            /etc/containerd/conf.d)
  --root DIR                prefix every path the command reads or writes with
                            DIR, e.g. /host when the host's / is mounted there;
                            the paths written into the config are not prefixed
  --dry-run                 print every file that would be written or changed,
                            with its content or a diff, and change nothing
`,
		run: runInstall,
	})
}

// installOptions are the flags of wasmtee install.
type installOptions struct {
	binDir, shim, handler, cacheDir   string
	containerdVersion, containerdPath string
	config, configDir, root           string
	dryRun                            bool
}

var (
	// handlerName is what a handler name may be: a bare TOML key.
	handlerName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)
	majorMinor  = regexp.MustCompile(`^v?(\d+)(\.\d+)*`)
	versionWord = regexp.MustCompile(`^v?\d+\.\d+`)
)

func runInstall(e *env, c *command, args []string) error {
	var o installOptions
	fs := newFlagSet(c)
	fs.StringVar(&o.binDir, "bin-dir", "/usr/local/bin", "")
	fs.StringVar(&o.shim, "shim", "", "")
	fs.StringVar(&o.handler, "handler", "wasmtee", "")
	fs.StringVar(&o.cacheDir, "cache-dir", "/var/lib/wasmtee/cache", "")
	fs.StringVar(&o.containerdVersion, "containerd-version", "auto", "")
	fs.StringVar(&o.containerdPath, "containerd", "", "")
	fs.StringVar(&o.config, "config", "/etc/containerd/config.toml", "")
	fs.StringVar(&o.configDir, "config-dir", "/etc/containerd/conf.d", "")
	fs.StringVar(&o.root, "root", "", "")
	fs.BoolVar(&o.dryRun, "dry-run", false, "")
	pos, err := parseArgs(c, fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageErrorf(c, "install: unexpected argument %q", pos[0])
	}
	if !handlerName.MatchString(o.handler) {
		return usageErrorf(c, "install: --handler %q: want letters, digits, '_' and '-' only", o.handler)
	}
	for _, p := range []struct{ flag, value string }{
		{"--bin-dir", o.binDir}, {"--config", o.config}, {"--config-dir", o.configDir},
	} {
		if !filepath.IsAbs(p.value) {
			return usageErrorf(c, "install: %s %q: want an absolute path", p.flag, p.value)
		}
	}
	if o.cacheDir != "-" && !filepath.IsAbs(o.cacheDir) {
		return usageErrorf(c, "install: --cache-dir %q: want an absolute path, or - for no cache", o.cacheDir)
	}
	major := 0
	if o.containerdVersion != "auto" {
		if major, err = parseMajor(o.containerdVersion); err != nil || major == 0 {
			return usageErrorf(c, "install: --containerd-version %q: want 1, 2 or auto", o.containerdVersion)
		}
	}
	if o.root != "" {
		if o.root, err = filepath.Abs(o.root); err != nil {
			return err
		}
		if o.root == "/" {
			o.root = ""
		}
	}

	// Plan everything first, so that an error leaves the node as it was.
	var changes []*fileChange
	bins, err := o.planBinaries()
	if err != nil {
		return err
	}
	changes = append(changes, bins...)
	if major == 0 {
		if major, err = o.detectContainerd(); err != nil {
			return err
		}
	}
	var (
		snippet  string
		needEdit bool // containerd 1.x, whose config the user must edit
	)
	switch major {
	case 1:
		if snippet, needEdit, err = o.planV1(); err != nil {
			return err
		}
		opts, err := o.planV1Options()
		if err != nil {
			return err
		}
		changes = append(changes, opts)
	case 2:
		cfg, err := o.planV2()
		if err != nil {
			return err
		}
		changes = append(changes, cfg...)
	default:
		return fmt.Errorf("containerd %d.x is not supported: wasmtee install knows containerd 1.x and 2.x", major)
	}

	w := e.stdout
	changed := 0
	for _, ch := range changes {
		if ch.unchanged() {
			fmt.Fprintf(w, "unchanged: %s (%s, already up to date)\n", ch.path, ch.what)
			continue
		}
		changed++
		if o.dryRun {
			fmt.Fprint(w, ch.preview())
			continue
		}
		if err := ch.apply(); err != nil {
			return fmt.Errorf("%s %s: %w", ch.what, ch.path, err)
		}
		fmt.Fprintln(w, ch.done())
	}

	if major == 1 {
		fmt.Fprint(w, snippet)
	}
	switch {
	case changed == 0 && needEdit:
		fmt.Fprintln(w, "nothing changed: the binaries are already installed")
	case changed == 0:
		fmt.Fprintln(w, "nothing changed: wasmtee is already installed")
	case o.dryRun:
		fmt.Fprintf(w, "dry run: %d file(s) would change; nothing was written\n", changed)
	}
	switch {
	case needEdit:
		fmt.Fprintf(w, "after adding it, %s\n", restartHint)
	case changed == 0:
		fmt.Fprintf(w, "if containerd has not been restarted since, %s\n", restartHint)
	case o.dryRun:
		fmt.Fprintf(w, "after a real run, %s\n", restartHint)
	default:
		fmt.Fprintln(w, restartHint)
	}
	return nil
}

// path returns where p (a path on the node) is read and written: under
// --root if it is set.
func (o *installOptions) path(p string) string {
	if o.root == "" {
		return p
	}
	return filepath.Join(o.root, p)
}

// fileChange is one file wasmtee install writes.
type fileChange struct {
	what string // e.g. "containerd shim"
	path string // where it is written (with --root)
	mode fs.FileMode

	// A binary copied from src.
	src      string
	same     bool // dst has src's content
	modeOnly bool // ... but not mode

	// A config file with content data; old is the current content.
	data   []byte
	old    []byte
	exists bool
	backup string // where old is saved before the change, if anywhere
}

func (ch *fileChange) unchanged() bool {
	if ch.src != "" {
		return ch.same && !ch.modeOnly
	}
	return ch.exists && bytes.Equal(ch.old, ch.data)
}

// preview describes the change for --dry-run.
func (ch *fileChange) preview() string {
	switch {
	case ch.src != "" && ch.modeOnly:
		return fmt.Sprintf("would change the mode of %s (%s) to %04o\n", ch.path, ch.what, ch.mode)
	case ch.src != "":
		return fmt.Sprintf("would install %s (%s): copy of %s, mode %04o\n", ch.path, ch.what, ch.src, ch.mode)
	case !ch.exists:
		return fmt.Sprintf("would create %s (%s):\n%s", ch.path, ch.what, indent(string(ch.data)))
	}
	s := fmt.Sprintf("would update %s (%s)", ch.path, ch.what)
	if ch.backup != "" {
		s += fmt.Sprintf(", keeping the current file as %s", ch.backup)
	}
	return s + ":\n" + indent(lineDiff(ch.old, ch.data))
}

// done describes the change once applied.
func (ch *fileChange) done() string {
	switch {
	case ch.src != "" && ch.modeOnly:
		return fmt.Sprintf("changed the mode of %s (%s) to %04o", ch.path, ch.what, ch.mode)
	case ch.src != "":
		return fmt.Sprintf("installed %s (%s)", ch.path, ch.what)
	case !ch.exists:
		return fmt.Sprintf("created %s (%s)", ch.path, ch.what)
	case ch.backup != "":
		return fmt.Sprintf("updated %s (%s); the previous file is %s", ch.path, ch.what, ch.backup)
	}
	return fmt.Sprintf("updated %s (%s)", ch.path, ch.what)
}

func (ch *fileChange) apply() error {
	if ch.src != "" {
		if ch.modeOnly {
			return os.Chmod(ch.path, ch.mode)
		}
		f, err := os.Open(ch.src)
		if err != nil {
			return err
		}
		defer f.Close()
		return writeAtomic(ch.path, f, ch.mode)
	}
	if ch.backup != "" {
		if err := writeAtomic(ch.backup, bytes.NewReader(ch.old), ch.mode); err != nil {
			return fmt.Errorf("backup: %w", err)
		}
	}
	return writeAtomic(ch.path, bytes.NewReader(ch.data), ch.mode)
}

// planBinaries plans the copies of the shim, the module host and wasmtee
// itself.
func (o *installOptions) planBinaries() ([]*fileChange, error) {
	self, err := installExecutable()
	if err != nil {
		return nil, fmt.Errorf("cannot find the running wasmtee binary: %w", err)
	}
	if resolved, err := filepath.EvalSymlinks(self); err == nil {
		self = resolved
	}
	shim := o.shim
	if shim == "" {
		shim = filepath.Join(filepath.Dir(self), shimBinary)
	}
	if err := checkBinary(shim); err != nil {
		hint := "pass --shim PATH"
		if o.shim == "" {
			hint = "build it with 'make' or pass --shim PATH"
		}
		return nil, fmt.Errorf("shim binary %s: %w (%s)", shim, err, hint)
	}
	server := bootstrap.ServerPath(shim)
	if err := checkBinary(server); err != nil {
		return nil, fmt.Errorf("shim server binary %s: %w (it must be beside the shim binary; build both with 'make')", server, err)
	}
	host := enclave.HostBinary(shim)
	if err := checkBinary(host); err != nil {
		return nil, fmt.Errorf("module host binary %s: %w (it must be beside the shim binary; build both with 'make')", host, err)
	}
	if err := checkBinary(self); err != nil {
		return nil, fmt.Errorf("wasmtee binary %s: %w", self, err)
	}
	var out []*fileChange
	for _, b := range []struct{ what, src, name string }{
		{"containerd shim", shim, shimBinary},
		{"shim server", server, serverBinary},
		{"module host", host, hostBinary},
		{"wasmtee CLI", self, progName},
	} {
		ch := &fileChange{what: b.what, src: b.src, path: o.path(filepath.Join(o.binDir, b.name)), mode: 0o755}
		if ch.same, err = sameContent(b.src, ch.path); err != nil {
			return nil, fmt.Errorf("%s %s: %w", b.what, ch.path, err)
		}
		if ch.same {
			fi, err := os.Stat(ch.path)
			if err != nil {
				return nil, err
			}
			ch.modeOnly = fi.Mode().Perm() != ch.mode
		}
		out = append(out, ch)
	}
	return out, nil
}

// checkBinary reports why p cannot be installed, if it cannot.
func checkBinary(p string) error {
	fi, err := os.Stat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return errors.New("not found")
	case err != nil:
		return err
	case !fi.Mode().IsRegular():
		return errors.New("not a regular file")
	}
	return nil
}

// parseMajor returns the major version of v, as in "2", "v1.7.35" or
// "1.6.20~ds1".
func parseMajor(v string) (int, error) {
	m := majorMinor.FindStringSubmatch(v)
	if m == nil {
		return 0, fmt.Errorf("not a version: %q", v)
	}
	return strconv.Atoi(m[1])
}

// parseContainerdVersion returns the major version in the output of
// 'containerd --version', e.g.
//
//	containerd github.com/containerd/containerd/v2 v2.4.2 0123abc
//	containerd github.com/containerd/containerd 1.6.20~ds1 1.6.20~ds1-1+deb12u3
func parseContainerdVersion(out string) (int, error) {
	for _, f := range strings.Fields(out) {
		if versionWord.MatchString(f) {
			return parseMajor(f)
		}
	}
	return 0, fmt.Errorf("no version in %q", strings.TrimSpace(out))
}

// detectContainerd runs 'containerd --version' and returns the major version.
func (o *installOptions) detectContainerd() (int, error) {
	bin, chroot := o.containerdPath, ""
	if bin == "" && o.root != "" {
		// The host's containerd, run inside the host's root so that it
		// finds its libraries.
		for _, dir := range []string{"/usr/local/bin", "/usr/bin", "/usr/local/sbin", "/usr/sbin", "/bin", "/sbin"} {
			p := filepath.Join(dir, "containerd")
			if fi, err := os.Stat(o.path(p)); err == nil && fi.Mode().IsRegular() {
				bin, chroot = p, o.root
				break
			}
		}
	}
	if bin == "" {
		p, err := exec.LookPath("containerd")
		if err != nil {
			return 0, errors.New("cannot tell the containerd version: containerd is not on PATH (pass --containerd PATH or --containerd-version 1|2)")
		}
		bin = p
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--version")
	shown := bin
	if chroot != "" {
		shown = o.path(bin)
		if chrootCommand(cmd, chroot) {
			cmd.Dir = "/"
		} else {
			cmd = exec.CommandContext(ctx, shown, "--version")
		}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("cannot tell the containerd version: %s --version: %v: %s(pass --containerd-version 1|2)", shown, err, firstLine(out))
	}
	major, err := parseContainerdVersion(string(out))
	if err != nil {
		return 0, fmt.Errorf("cannot tell the containerd version: %s --version: %v (pass --containerd-version 1|2)", shown, err)
	}
	return major, nil
}

func firstLine(b []byte) string {
	s, _, _ := strings.Cut(strings.TrimSpace(string(b)), "\n")
	if s == "" {
		return ""
	}
	return s + " "
}

// runtimeTable returns the TOML tables of the runtime handler below the
// CRI plugin table prefix, for containerd 2.x, which hands the options
// table to the shim as it is.
func (o *installOptions) runtimeTable(cri string) string {
	t := cri + ".containerd.runtimes." + o.handler
	return fmt.Sprintf("[%s]\n  runtime_type = %s\n\n  [%s.options]\n    cache_dir = %s\n",
		t, tomlQuote(shimRuntimeType), t, tomlQuote(o.cacheDir))
}

// runtimeTableV1 is runtimeTable for containerd 1.x, which decodes the
// options table into runtimeoptions.v1.Options itself: the table can only
// name a file (ConfigPath), which the shim reads.
func (o *installOptions) runtimeTableV1(cri string) string {
	t := cri + ".containerd.runtimes." + o.handler
	return fmt.Sprintf("[%s]\n  runtime_type = %s\n\n  [%s.options]\n    ConfigPath = %s\n",
		t, tomlQuote(shimRuntimeType), t, tomlQuote(o.v1OptionsPath()))
}

// v1OptionsPath is the shim's options file for containerd 1.x.
func (o *installOptions) v1OptionsPath() string {
	return filepath.Join("/etc/wasmtee", o.handler+".toml")
}

// planV1Options plans the shim's options file for containerd 1.x.
func (o *installOptions) planV1Options() (*fileChange, error) {
	content := fmt.Sprintf("# Written by 'wasmtee install': options of the wasmtee runtime handler %q,\n"+
		"# named by ConfigPath in containerd's config.\ncache_dir = %s\n", o.handler, tomlQuote(o.cacheDir))
	ch := &fileChange{what: "wasmtee runtime options", path: o.path(o.v1OptionsPath()), mode: 0o644, data: []byte(content)}
	old, err := os.ReadFile(ch.path)
	switch {
	case err == nil:
		ch.old, ch.exists = old, true
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("wasmtee runtime options: %w", err)
	}
	return ch, nil
}

// dropInPath is the drop-in file for containerd 2.x on the node.
func (o *installOptions) dropInPath() string {
	return filepath.Join(o.configDir, o.handler+".toml")
}

// readConfig reads and parses containerd's main config; exists is false
// if there is none.
func (o *installOptions) readConfig() (data []byte, doc map[string]any, mode fs.FileMode, exists bool, err error) {
	p := o.path(o.config)
	fi, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, 0o644, false, nil
	} else if err != nil {
		return nil, nil, 0, false, fmt.Errorf("containerd config: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, nil, 0, false, fmt.Errorf("containerd config %s: not a regular file", p)
	}
	data, err = os.ReadFile(p)
	if err != nil {
		return nil, nil, 0, false, fmt.Errorf("containerd config: %w", err)
	}
	if err := toml.Unmarshal(data, &doc); err != nil {
		return nil, nil, 0, false, fmt.Errorf("containerd config %s is not valid TOML, leaving it alone: %w", p, err)
	}
	return data, doc, fi.Mode().Perm(), true, nil
}

// planV2 plans the drop-in and the import of it for containerd 2.x.
func (o *installOptions) planV2() ([]*fileChange, error) {
	dropIn := o.dropInPath()
	content := fmt.Sprintf("# Written by 'wasmtee install': the CRI runtime handler %q for containerd 2.x.\n"+
		"# The next 'wasmtee install' rewrites it: change the options with its flags.\n"+
		"version = 3\n\n%s",
		o.handler, o.runtimeTable("plugins.'io.containerd.cri.v1.runtime'"))
	drop := &fileChange{what: "containerd drop-in config", path: o.path(dropIn), mode: 0o644, data: []byte(content)}
	old, err := os.ReadFile(drop.path)
	switch {
	case err == nil:
		drop.old, drop.exists = old, true
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("containerd drop-in config: %w", err)
	}

	data, doc, mode, exists, err := o.readConfig()
	if err != nil {
		return nil, err
	}
	cfg := &fileChange{what: "containerd config", path: o.path(o.config), mode: mode, old: data, exists: exists}
	glob := filepath.Join(o.configDir, "*.toml")
	if !exists {
		cfg.data = []byte("# Created by 'wasmtee install': containerd's defaults, plus the drop-in files.\n" +
			"version = 3\nimports = [" + tomlQuote(glob) + "]\n")
		return []*fileChange{drop, cfg}, nil
	}

	cfg.data = data
	imports, has := doc["imports"]
	var list []any
	if has {
		var ok bool
		if list, ok = imports.([]any); !ok {
			return nil, fmt.Errorf("containerd config %s: imports is not a list", cfg.path)
		}
	}
	covered := false
	for _, v := range list {
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("containerd config %s: imports holds %v, not a path", cfg.path, v)
		}
		if importCovers(o.config, s, dropIn) {
			covered = true
		}
	}
	if !covered {
		add := glob // no imports yet: import the whole drop-in directory
		if has {
			add = dropIn // the user chose what to import: add just ours
		}
		if cfg.data, err = addImport(data, add); err != nil {
			return nil, fmt.Errorf("containerd config %s: cannot add %s to its imports: %w", cfg.path, add, err)
		}
		// Never write a file containerd could not read.
		var check map[string]any
		if err := toml.Unmarshal(cfg.data, &check); err != nil {
			return nil, fmt.Errorf("containerd config %s: adding the import would break the file (%v); add %q to its imports by hand", cfg.path, err, add)
		}
		cfg.backup = cfg.path + installBackup
	}
	return []*fileChange{drop, cfg}, nil
}

// importCovers reports whether the imports entry imp of the config file at
// config makes containerd load file, resolving it like containerd does:
// relative to the config's directory, and as a glob if it holds a '*'.
func importCovers(config, imp, file string) bool {
	p := filepath.Clean(imp)
	if !filepath.IsAbs(p) {
		p = filepath.Join(filepath.Dir(config), p)
	}
	if strings.Contains(p, "*") {
		ok, err := filepath.Match(p, file)
		return err == nil && ok
	}
	return p == filepath.Clean(file)
}

// planV1 returns what to tell the user for containerd 1.x, whose config
// wasmtee does not edit; needEdit is set when the user has to add to it.
//
// containerd 1.x replaces its default runtimes with the ones its config
// lists: a config that lists only wasmtee loses runc, the default runtime
// of every other pod. The snippet lists runc too when the config lacks it.
func (o *installOptions) planV1() (_ string, needEdit bool, _ error) {
	const cri = `plugins."io.containerd.grpc.v1.cri"`
	_, doc, _, exists, err := o.readConfig()
	if err != nil {
		return "", false, err
	}
	runtimes, _ := lookupTOML(doc, "plugins", "io.containerd.grpc.v1.cri", "containerd", "runtimes").(map[string]any)
	defaultName, _ := lookupTOML(doc, "plugins", "io.containerd.grpc.v1.cri", "containerd", "default_runtime_name").(string)
	if defaultName == "" {
		defaultName = "runc"
	}
	_, haveDefault := runtimes[defaultName]
	if exists && haveDefault && o.v1Configured(runtimes) {
		return fmt.Sprintf("containerd 1.x: %s already configures the runtime handler %q\n", o.path(o.config), o.handler), false, nil
	}
	var b strings.Builder
	fmt.Fprintf(&b, "containerd 1.x: wasmtee does not edit containerd's config. Add this to %s\n", o.config)
	if exists {
		b.WriteString("(its first line must be version = 2):\n\n")
	} else {
		b.WriteString("(the file does not exist yet: create it, starting with version = 2):\n\n")
	}
	if !haveDefault && defaultName == "runc" {
		b.WriteString("# containerd 1.x keeps only the runtimes its config lists: keep runc.\n")
		fmt.Fprintf(&b, "[%s.containerd.runtimes.runc]\n  runtime_type = %s\n\n", cri, tomlQuote("io.containerd.runc.v2"))
	}
	b.WriteString(o.runtimeTableV1(cri))
	b.WriteString("\n")
	if !haveDefault && defaultName != "runc" {
		fmt.Fprintf(&b, "warning: default_runtime_name is %q but the config has no runtimes.%s table\n\n", defaultName, defaultName)
	}
	return b.String(), true, nil
}

// lookupTOML walks nested tables of a parsed TOML document.
func lookupTOML(doc map[string]any, keys ...string) any {
	var v any = doc
	for _, k := range keys {
		t, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = t[k]
	}
	return v
}

// v1Configured reports whether the runtimes table of a containerd 1.x
// config already has the handler with the right runtime type and options.
func (o *installOptions) v1Configured(runtimes map[string]any) bool {
	return lookupTOML(runtimes, o.handler, "runtime_type") == shimRuntimeType &&
		lookupTOML(runtimes, o.handler, "options", "ConfigPath") == o.v1OptionsPath()
}
