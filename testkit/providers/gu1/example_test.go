package gu1_test

import (
	"fmt"

	"github.com/kycemu/kycemu/testkit/providers/gu1"
)

func ExampleTenant() {
	// The tenant a gu1 API key and organization id belong to, as the
	// testkit helpers and the control API take it.
	fmt.Println(gu1.Tenant("gk_test", "org_1"))
	// Output: gk_test:org_1
}

func ExampleStatuses() {
	fmt.Println(gu1.Statuses(gu1.KindValidation))
	fmt.Println(gu1.Statuses("case"))
	// Output:
	// [abandoned approved cancelled expired in_progress in_review pending rejected]
	// []
}
