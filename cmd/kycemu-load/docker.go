package main

import (
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"time"
)

// dockerHealthy times `docker run` of image until Docker reports the
// container "healthy" (its HEALTHCHECK passed), runs times over.
func dockerHealthy(image string, runs int) error {
	var lat []time.Duration
	for range max(runs, 1) {
		start := time.Now()
		out, err := exec.Command("docker", "run", "-d", "--rm", image).Output()
		if err != nil {
			return fmt.Errorf("docker run %s: %w", image, err)
		}
		id := strings.TrimSpace(string(out))
		healthy := false
		for deadline := start.Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			st, err := exec.Command("docker", "inspect", "-f", "{{.State.Health.Status}}", id).Output()
			if err != nil {
				break
			}
			if strings.TrimSpace(string(st)) == "healthy" {
				healthy = true
				break
			}
		}
		d := time.Since(start)
		_ = exec.Command("docker", "rm", "-f", id).Run()
		if !healthy {
			return fmt.Errorf("%s never became healthy (does the image have a HEALTHCHECK?)", image)
		}
		lat = append(lat, d)
	}
	slices.Sort(lat)
	fmt.Printf("\ndocker run -> healthy (%s): min %s, median %s, max %s (%d runs)\n", image,
		ms(lat[0]), ms(lat[len(lat)/2]), ms(lat[len(lat)-1]), len(lat))
	return nil
}
