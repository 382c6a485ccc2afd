package b2core

import (
	"testing"
)

func TestStepsFor(t *testing.T) {
	cfg := DefaultConfig()
	level1 := cfg.Levels[1]
	cases := []struct {
		name string
		opts map[string]any
		want [][]int
		bad  bool
	}{
		{"no options", nil, [][]int{{2, 1, 3, 7}, {4, 5}}, false},
		{"steps", map[string]any{"steps": []any{map[string]any{"types": []any{2}}}}, [][]int{{2}}, false},
		{"level by name", map[string]any{"levels": []any{map[string]any{"name": "Level 1", "steps": []any{
			map[string]any{"types": []any{1}}, map[string]any{"types": []any{4}}, map[string]any{"types": []any{6}}}}}},
			[][]int{{1}, {4}, {6}}, false},
		{"level by id wins over steps", map[string]any{"steps": []any{map[string]any{"types": []any{5}}},
			"levels": []any{map[string]any{"id": 2, "steps": []any{map[string]any{"types": []any{3}}}}}}, [][]int{{3}}, false},
		{"other level only", map[string]any{"levels": []any{map[string]any{"name": "Level 2", "steps": []any{map[string]any{"types": []any{3}}}}}},
			[][]int{{2, 1, 3, 7}, {4, 5}}, false},
		{"unknown keys ignored", map[string]any{"colour": "blue"}, [][]int{{2, 1, 3, 7}, {4, 5}}, false},
		{"unknown type", map[string]any{"steps": []any{map[string]any{"types": []any{99}}}}, nil, true},
		{"empty step", map[string]any{"steps": []any{map[string]any{"types": []any{}}}}, nil, true},
		{"wrong shape", map[string]any{"steps": "all of them"}, nil, true},
	}
	p := &Provider{cfg: cfg}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			steps, err := stepsFor(tc.opts, level1, &cfg)
			if cerr := p.CheckOptions(Kind, tc.opts); (cerr != nil) != tc.bad {
				t.Errorf("CheckOptions: %v", cerr)
			}
			if tc.bad {
				if err == nil {
					t.Fatalf("accepted: %v", steps)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(steps) != len(tc.want) {
				t.Fatalf("steps %v, want %v", steps, tc.want)
			}
			for i := range steps {
				if len(steps[i].Types) != len(tc.want[i]) {
					t.Fatalf("steps %v, want %v", steps, tc.want)
				}
				for j := range steps[i].Types {
					if steps[i].Types[j] != tc.want[i][j] {
						t.Fatalf("steps %v, want %v", steps, tc.want)
					}
				}
			}
		})
	}
	if err := p.CheckOptions("kyc", nil); err == nil {
		t.Error("CheckOptions accepted an unknown kind")
	}
}
