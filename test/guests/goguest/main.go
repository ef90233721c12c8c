//go:build wasip1

// Command goguest is the multi-purpose WASI preview1 guest of the end-to-end tests.
// Build: GOOS=wasip1 GOARCH=wasm go build -o goguest.wasm ./test/guests/goguest
//
// The subcommand is os.Args[1]:
//
//	hello              prints "hello from wasm"
//	args               prints each element of os.Args on its own line
//	env NAME...        prints NAME=value, or "NAME unset"
//	cat PATH           copies PATH to stdout
//	write PATH TEXT    creates/truncates PATH with TEXT, prints "wrote PATH"
//	ls DIR             prints the names in DIR, one a line
//	sleep SECONDS      sleeps (fractions allowed)
//	exit N             exits with code N
//	stderr TEXT        prints TEXT to stderr
//	big N              prints N lines of 100 bytes (99 + newline), then "done"
//	cwd                prints the working directory
//	count PREFIX       prints "args N BYTES SHA256" over all of os.Args, then
//	                   "env N BYTES SHA256" over the environment entries that
//	                   start with PREFIX (in order; SHA256 of the entries
//	                   joined with NUL bytes)
package main

import (
	"bufio"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fail(2, "usage: goguest hello|args|env|cat|write|ls|sleep|exit|stderr|big|cwd|count ...")
	}
	cmd, args := os.Args[1], os.Args[2:]
	switch cmd {
	case "hello":
		fmt.Println("hello from wasm")
	case "args":
		for _, a := range os.Args {
			fmt.Println(a)
		}
	case "env":
		for _, name := range args {
			if v, ok := os.LookupEnv(name); ok {
				fmt.Printf("%s=%s\n", name, v)
			} else {
				fmt.Printf("%s unset\n", name)
			}
		}
	case "cat":
		need(args, 1)
		f, err := os.Open(args[0])
		check(err)
		_, err = io.Copy(os.Stdout, f)
		check(err)
		check(f.Close())
	case "write":
		need(args, 2)
		check(os.WriteFile(args[0], []byte(args[1]), 0o644))
		fmt.Printf("wrote %s\n", args[0])
	case "ls":
		need(args, 1)
		entries, err := os.ReadDir(args[0])
		check(err)
		for _, e := range entries {
			fmt.Println(e.Name())
		}
	case "sleep":
		need(args, 1)
		s, err := strconv.ParseFloat(args[0], 64)
		check(err)
		time.Sleep(time.Duration(s * float64(time.Second)))
	case "exit":
		need(args, 1)
		n, err := strconv.Atoi(args[0])
		check(err)
		os.Exit(n)
	case "stderr":
		need(args, 1)
		fmt.Fprintln(os.Stderr, strings.Join(args, " "))
	case "big":
		need(args, 1)
		n, err := strconv.Atoi(args[0])
		check(err)
		w := bufio.NewWriterSize(os.Stdout, 64<<10)
		for i := 0; i < n; i++ {
			// 8 digits, a space, 90 'x' and the newline: 100 bytes.
			fmt.Fprintf(w, "%08d %s\n", i, strings.Repeat("x", 90))
		}
		fmt.Fprintln(w, "done")
		check(w.Flush())
	case "alloc":
		// alloc MIB: allocate and touch MIB MiB of memory, then report.
		need(args, 1)
		n, err := strconv.Atoi(args[0])
		check(err)
		blocks := make([][]byte, 0, n)
		for i := 0; i < n; i++ {
			b := make([]byte, 1<<20)
			for j := 0; j < len(b); j += 4096 {
				b[j] = 1
			}
			blocks = append(blocks, b)
		}
		fmt.Printf("allocated %d MiB\n", len(blocks))
	case "stdin":
		// stdin: copy standard input to standard output, then print the count.
		n, err := io.Copy(os.Stdout, os.Stdin)
		check(err)
		fmt.Printf("\nstdin: %d bytes\n", n)
	case "evidence":
		// evidence NONCEHEX: print this module's attestation evidence.
		need(args, 1)
		evidence(args[0])
	case "count":
		need(args, 1)
		var env []string
		for _, kv := range os.Environ() {
			if strings.HasPrefix(kv, args[0]) {
				env = append(env, kv)
			}
		}
		fmt.Printf("args %s\nenv %s\n", digestOf(os.Args), digestOf(env))
	case "cwd":
		wd, err := os.Getwd()
		check(err)
		fmt.Println(wd)
	default:
		fail(2, "goguest: unknown subcommand "+strconv.Quote(cmd))
	}
}

// digestOf is "N BYTES SHA256" of a list of strings, joined with NUL bytes
// for the hash.
func digestOf(list []string) string {
	n := 0
	for _, s := range list {
		n += len(s)
	}
	sum := sha256.Sum256([]byte(strings.Join(list, "\x00")))
	return fmt.Sprintf("%d %d %x", len(list), n, sum)
}

func need(args []string, n int) {
	if len(args) < n {
		fail(2, fmt.Sprintf("goguest %s: want %d argument(s), got %d", os.Args[1], n, len(args)))
	}
}

func check(err error) {
	if err != nil {
		fail(1, "goguest "+os.Args[1]+": "+err.Error())
	}
}

func fail(code int, msg string) {
	fmt.Fprintln(os.Stderr, msg)
	os.Exit(code)
}
