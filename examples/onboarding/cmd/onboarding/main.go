// Command onboarding runs the example onboarding service.
//
//	NOTUS_BASE_URL=http://localhost:8080/notus/api/v1 NOTUS_API_KEY=dev \
//	NOTUS_WEBHOOK_SECRET=... go run ./examples/onboarding/cmd/onboarding
//
// NOTUS_BASE_URL defaults to Notus's production API; ADDR to :8090.
package main

import (
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/kycemu/kycemu/examples/onboarding"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	base := os.Getenv("NOTUS_BASE_URL")
	if base == "" {
		base = "https://api.notus.team/api/v1"
	}
	addr := os.Getenv("ADDR")
	if addr == "" {
		addr = ":8090"
	}
	svc := onboarding.New(onboarding.Config{
		Notus:         &onboarding.NotusClient{BaseURL: base, APIKey: os.Getenv("NOTUS_API_KEY"), HTTP: &http.Client{Timeout: 30 * time.Second}},
		WebhookSecret: os.Getenv("NOTUS_WEBHOOK_SECRET"),
		Log:           log,
	})
	log.Info("onboarding listening", "addr", addr, "notus", base)
	srv := &http.Server{Addr: addr, Handler: svc.Handler(), ReadHeaderTimeout: 10 * time.Second}
	if err := srv.ListenAndServe(); err != nil {
		log.Error("stopped", "error", err)
		os.Exit(1)
	}
}
