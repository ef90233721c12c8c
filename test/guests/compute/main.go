// Command compute is a CPU-bound guest for the compute comparison of
// scripts/compute-bench.sh. It builds both natively and for GOOS=wasip1
// GOARCH=wasm and prints deterministic output, so runs can be compared.
//
//	compute nbody N   run the classic n-body simulation for N steps and
//	                  print the final energy with 9 decimals
//	compute sha256 MB hash MB MiB of deterministic data with crypto/sha256
//	                  (pure Go on wasm) and print the hex digest
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"strconv"
)

const (
	solarMass   = 4 * math.Pi * math.Pi
	daysPerYear = 365.24
)

type body struct {
	x, y, z, vx, vy, vz, mass float64
}

func newSystem() []body {
	bodies := []body{
		{mass: solarMass}, // sun
		{ // jupiter
			x: 4.84143144246472090e+00, y: -1.16032004402742839e+00, z: -1.03622044471123109e-01,
			vx: 1.66007664274403694e-03 * daysPerYear, vy: 7.69901118419740425e-03 * daysPerYear,
			vz: -6.90460016972063023e-05 * daysPerYear, mass: 9.54791938424326609e-04 * solarMass,
		},
		{ // saturn
			x: 8.34336671824457987e+00, y: 4.12479856412430479e+00, z: -4.03523417114321381e-01,
			vx: -2.76742510726862411e-03 * daysPerYear, vy: 4.99852801234917238e-03 * daysPerYear,
			vz: 2.30417297573763929e-05 * daysPerYear, mass: 2.85885980666130812e-04 * solarMass,
		},
		{ // uranus
			x: 1.28943695621391310e+01, y: -1.51111514016986312e+01, z: -2.23307578892655734e-01,
			vx: 2.96460137564761618e-03 * daysPerYear, vy: 2.37847173959480950e-03 * daysPerYear,
			vz: -2.96589568540237556e-05 * daysPerYear, mass: 4.36624404335156298e-05 * solarMass,
		},
		{ // neptune
			x: 1.53796971148509165e+01, y: -2.59193146099879641e+01, z: 1.79258772950371181e-01,
			vx: 2.68067772490389322e-03 * daysPerYear, vy: 1.62824170038242295e-03 * daysPerYear,
			vz: -9.51592254519715870e-05 * daysPerYear, mass: 5.15138902046611451e-05 * solarMass,
		},
	}
	// Offset the sun's momentum so the system's total momentum is zero.
	var px, py, pz float64
	for _, b := range bodies {
		px += b.vx * b.mass
		py += b.vy * b.mass
		pz += b.vz * b.mass
	}
	bodies[0].vx = -px / solarMass
	bodies[0].vy = -py / solarMass
	bodies[0].vz = -pz / solarMass
	return bodies
}

func advance(bodies []body, dt float64) {
	for i := range bodies {
		bi := &bodies[i]
		for j := i + 1; j < len(bodies); j++ {
			bj := &bodies[j]
			dx, dy, dz := bi.x-bj.x, bi.y-bj.y, bi.z-bj.z
			d2 := dx*dx + dy*dy + dz*dz
			mag := dt / (d2 * math.Sqrt(d2))
			bi.vx -= dx * bj.mass * mag
			bi.vy -= dy * bj.mass * mag
			bi.vz -= dz * bj.mass * mag
			bj.vx += dx * bi.mass * mag
			bj.vy += dy * bi.mass * mag
			bj.vz += dz * bi.mass * mag
		}
	}
	for i := range bodies {
		b := &bodies[i]
		b.x += dt * b.vx
		b.y += dt * b.vy
		b.z += dt * b.vz
	}
}

func energy(bodies []body) float64 {
	var e float64
	for i, b := range bodies {
		e += 0.5 * b.mass * (b.vx*b.vx + b.vy*b.vy + b.vz*b.vz)
		for j := i + 1; j < len(bodies); j++ {
			dx, dy, dz := b.x-bodies[j].x, b.y-bodies[j].y, b.z-bodies[j].z
			e -= b.mass * bodies[j].mass / math.Sqrt(dx*dx+dy*dy+dz*dz)
		}
	}
	return e
}

func nbody(steps int) {
	bodies := newSystem()
	for i := 0; i < steps; i++ {
		advance(bodies, 0.01)
	}
	fmt.Printf("%.9f\n", energy(bodies))
}

func sha(mib int) {
	h := sha256.New()
	buf := make([]byte, 1<<20)
	// Deterministic data: a 64-bit xorshift stream, refilled for every MiB.
	s := uint64(0x9e3779b97f4a7c15)
	for m := 0; m < mib; m++ {
		for i := 0; i < len(buf); i += 8 {
			s ^= s << 13
			s ^= s >> 7
			s ^= s << 17
			for k := 0; k < 8; k++ {
				buf[i+k] = byte(s >> (8 * k))
			}
		}
		h.Write(buf)
	}
	fmt.Println(hex.EncodeToString(h.Sum(nil)))
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: compute nbody N | compute sha256 MB")
	os.Exit(2)
}

func main() {
	if len(os.Args) != 3 {
		usage()
	}
	n, err := strconv.Atoi(os.Args[2])
	if err != nil || n < 0 {
		fmt.Fprintf(os.Stderr, "compute: bad count %q\n", os.Args[2])
		os.Exit(2)
	}
	switch os.Args[1] {
	case "nbody":
		nbody(n)
	case "sha256":
		sha(n)
	default:
		usage()
	}
}
