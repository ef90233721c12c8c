package stress

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Report is everything the tool prints; -json writes it as JSON (the
// benchmark, test/bench, reads it back with this type).
type Report struct {
	Started   string   `json:"started"`
	Daemon    string   `json:"daemon_version"`
	DaemonPID int      `json:"daemon_pid,omitempty"`
	Address   string   `json:"address"`
	Root      string   `json:"root,omitempty"`
	State     string   `json:"state,omitempty"`
	Namespace string   `json:"namespace"`
	Runtime   string   `json:"runtime"`
	Image     string   `json:"image"`
	Args      []string `json:"args,omitempty"`
	IDPrefix  string   `json:"id_prefix"`
	N         int      `json:"n"`
	P         int      `json:"p"`

	Completed       int            `json:"completed"`
	Failures        int            `json:"failures"`
	FailuresByPhase map[string]int `json:"failures_by_phase,omitempty"`
	FirstErrors     []string       `json:"first_errors,omitempty"`
	WallSeconds     float64        `json:"wall_s"`
	Throughput      float64        `json:"throughput_runs_per_s"`
	Latency         []Latency      `json:"latency"`

	LoadBefore string `json:"loadavg_before"` // /proc/loadavg: other work on the machine skews the numbers
	LoadAfter  string `json:"loadavg_after"`

	Leaks    *LeakReport `json:"leaks,omitempty"`
	Warnings []string    `json:"warnings,omitempty"`
	Pass     bool        `json:"pass"`
	Reasons  []string    `json:"reasons,omitempty"`
}

func (r *Report) verdict(checkedLeaks bool) {
	if r.Completed < r.N {
		r.Reasons = append(r.Reasons, fmt.Sprintf("only %d of %d runs were made", r.Completed, r.N))
	}
	if r.Failures > 0 {
		r.Reasons = append(r.Reasons, fmt.Sprintf("%d of %d runs failed", r.Failures, r.Completed))
	}
	if r.Leaks != nil && r.Leaks.Leaked {
		for _, it := range r.Leaks.Items {
			if len(it.Leaked) > 0 {
				r.Reasons = append(r.Reasons, fmt.Sprintf("leaked %s: %d", it.What, len(it.Leaked)))
			}
		}
	}
	if !checkedLeaks {
		r.Warnings = append(r.Warnings, "leak check disabled (-check-leaks=false)")
	}
	r.Pass = len(r.Reasons) == 0
}

func (r *Report) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// maxListed is how many leaked items of one kind the text report lists.
const maxListed = 20

func (r *Report) writeText(w io.Writer) error {
	var b strings.Builder
	args := "(image entrypoint)"
	if len(r.Args) > 0 {
		args = strings.Join(r.Args, " ")
	}
	fmt.Fprintf(&b, "wasmtee-stress: %d runs, parallelism %d, runtime %s\n", r.N, r.P, r.Runtime)
	fmt.Fprintf(&b, "  image %s, args %s, namespace %s, container IDs %s-NNNNN\n", r.Image, args, r.Namespace, r.IDPrefix)
	fmt.Fprintf(&b, "  containerd %s at %s", r.Daemon, r.Address)
	if r.DaemonPID != 0 {
		fmt.Fprintf(&b, " (pid %d, root %s, state %s)", r.DaemonPID, r.Root, r.State)
	}
	fmt.Fprintf(&b, "\n  started %s\n\n", r.Started)

	fmt.Fprintf(&b, "load average before %s, after %s\n", r.LoadBefore, r.LoadAfter)
	fmt.Fprintf(&b, "runs: %d made, %d failed; wall time %.2f s; throughput %.2f runs/s\n", r.Completed, r.Failures, r.WallSeconds, r.Throughput)
	if r.Failures > 0 {
		fmt.Fprintf(&b, "failures by phase: %v\n", r.FailuresByPhase)
		fmt.Fprintf(&b, "first %d failures:\n", len(r.FirstErrors))
		for _, e := range r.FirstErrors {
			fmt.Fprintf(&b, "  %s\n", e)
		}
	}
	fmt.Fprintf(&b, "\nlatency of the successful runs (ms, nearest-rank percentiles):\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "phase\tn\tp50\tp90\tp99\tmax\tmean\t\n")
	for _, l := range r.Latency {
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.1f\t%.1f\t%.1f\t%.1f\t\n", l.Phase, l.N, l.P50, l.P90, l.P99, l.Max, l.Mean)
	}
	tw.Flush()

	if r.Leaks != nil {
		fmt.Fprintf(&b, "\nleak check (settled %.2f s after the last run):\n", r.Leaks.WaitedS)
		for _, it := range r.Leaks.Items {
			status := "ok"
			if len(it.Leaked) > 0 {
				status = fmt.Sprintf("LEAK (%d)", len(it.Leaked))
			}
			fmt.Fprintf(&b, "  %-6s before %4d  after %4d  %s", status, it.Before, it.After, it.What)
			if it.Note != "" {
				fmt.Fprintf(&b, " [%s]", it.Note)
			}
			b.WriteString("\n")
			for i, l := range it.Leaked {
				if i == maxListed {
					fmt.Fprintf(&b, "           ... and %d more\n", len(it.Leaked)-maxListed)
					break
				}
				fmt.Fprintf(&b, "           %s\n", l)
			}
		}
		for _, u := range r.Leaks.Unattributed {
			fmt.Fprintf(&b, "  note: %s\n", u)
		}
	}
	for _, wn := range r.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", wn)
	}
	if r.Pass {
		fmt.Fprintf(&b, "\nPASS: %d runs, no failure, nothing leaked\n", r.Completed)
	} else {
		fmt.Fprintf(&b, "\nFAIL: %s\n", strings.Join(r.Reasons, "; "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}
