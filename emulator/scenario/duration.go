package scenario

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// maxDuration bounds every duration in a scenario: a year is more than any
// KYC flow needs and keeps sums of durations far from overflow.
const maxDuration = 366 * 24 * time.Hour

var errDuration = errors.New("bad duration")

// parseDuration reads Go durations ("90s", "1h30m", "250ms") extended with a
// leading day count ("2d", "1d12h"). Negative values are refused.
func parseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") {
		return 0, errDuration
	}
	var days time.Duration
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		n, err := strconv.ParseUint(s[:i], 10, 16)
		if err != nil {
			return 0, errDuration
		}
		days = time.Duration(n) * 24 * time.Hour
		s = s[i+1:]
		if s == "" {
			if days > maxDuration {
				return 0, errDuration
			}
			return days, nil
		}
		if strings.HasPrefix(s, "-") || strings.HasPrefix(s, "+") {
			return 0, errDuration
		}
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 || d > maxDuration || days+d > maxDuration {
		return 0, errDuration
	}
	return days + d, nil
}

// FormatDuration writes a duration as scenario files do ("1d2h", "1h5m",
// "90s" as "1m30s", "250ms").
func FormatDuration(d time.Duration) string { return formatDuration(d) }

// formatDuration writes d in the shortest form parseDuration reads back:
// "1d2h", "1h5m", "90s" is written "1m30s", "250ms".
func formatDuration(d time.Duration) string {
	if d == 0 {
		return "0s"
	}
	var b strings.Builder
	if days := d / (24 * time.Hour); days > 0 {
		b.WriteString(strconv.FormatInt(int64(days), 10) + "d")
		d -= days * 24 * time.Hour
	}
	if h := d / time.Hour; h > 0 {
		b.WriteString(strconv.FormatInt(int64(h), 10) + "h")
		d -= h * time.Hour
	}
	if m := d / time.Minute; m > 0 {
		b.WriteString(strconv.FormatInt(int64(m), 10) + "m")
		d -= m * time.Minute
	}
	if d == 0 {
		return b.String()
	}
	if d%time.Second == 0 {
		b.WriteString(strconv.FormatInt(int64(d/time.Second), 10) + "s")
		return b.String()
	}
	if b.Len() == 0 && d < time.Second {
		// Sub-second on its own: let Go pick ms, µs or ns.
		return d.String()
	}
	// Seconds with a fraction: Go writes "1.5s".
	b.WriteString(strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "s")
	return b.String()
}
