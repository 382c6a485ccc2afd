// Package providers holds one small package per provider kycemu emulates
// (notus, b2core, gu1, gatenox, kulipa), naming what tests pass to the
// testkit helpers: the provider's Name, its session kinds, statuses and
// webhook events as typed constants (control.Status, control.Event), and a
// Tenant function that builds the tenant a credential belongs to.
//
//	kyc.WaitStatus(id, 5*time.Second, gu1.StatusApproved)
//	rcv := kyc.Webhooks(gu1.Name, gu1.Tenant("gk_test", "org_1"))
//	rcv.WaitEvent(5*time.Second, gu1.EventKYCValidationApproved)
//
// The constants are generated from the emulator's own catalogue (GET
// /_emulator/providers: each kind's status machine, the events of each
// spec's webhook schema) by go generate ./testkit, and a test fails when
// they fall behind it. The packages import only testkit/control.
package providers
