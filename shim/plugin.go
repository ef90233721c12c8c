package shim

import (
	"context"
	"fmt"
	"os"

	"github.com/containerd/containerd/pkg/shutdown"
	"github.com/containerd/containerd/plugin"
	"github.com/containerd/containerd/runtime/v2/shim"
)

func init() {
	plugin.Register(&plugin.Registration{
		Type:     plugin.TTRPCPlugin,
		ID:       "task",
		Requires: []plugin.Type{plugin.EventPlugin, plugin.InternalPlugin},
		InitFn: func(ic *plugin.InitContext) (interface{}, error) {
			pp, err := ic.GetByID(plugin.EventPlugin, "publisher")
			if err != nil {
				return nil, err
			}
			ss, err := ic.GetByID(plugin.InternalPlugin, "shutdown")
			if err != nil {
				return nil, err
			}
			return newService(ic.Context, pp.(shim.Publisher), ss.(shutdown.Service))
		},
	})
}

// Main is the shim binary's entry point.
func Main() {
	if isInfoRequest(os.Args[1:]) {
		if err := writeInfo(os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		return
	}
	shim.RunManager(context.Background(), Manager{}, func(c *shim.Config) {
		// Module hosts are waited on by their own goroutines; the
		// library's global reaper would steal their exit statuses.
		c.NoReaper = true
		c.NoSubreaper = true
	})
}
