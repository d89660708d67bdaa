package airlock_test

import data.airlock

test_protected_changes_escalate if {
	every c in [
		["deploy/k8s/api.yaml", "changes.deploy"],
		["infra/main.tf", "changes.infra"],
		[".github/workflows/ci.yml", "changes.ci"],
		["go.mod", "changes.dependencies"],
		["web/package.json", "changes.dependencies"],
		["Cargo.lock", "changes.dependencies"],
		["requirements.txt", "changes.dependencies"],
	] {
		d := airlock.decision with input as write(c[0], "dev")
		d.effect == "escalate"
		c[1] in ids(d)
		d.approval == {"roles": ["senior"], "approvals": 1, "ttl_seconds": 3600}
	}
}

test_prod_needs_two_approvals if {
	# deploy/ is also outside src/ in prod, so look at the approval a
	# dependency change under src/ gets.
	d := airlock.decision with input as write("src/go.mod", "prod")
	d.effect == "escalate"
	d.approval.approvals == 2
	d.approval.roles == ["senior"]
}

test_reading_protected_paths_allowed if {
	d := airlock.decision with input as read("deploy/k8s/api.yaml", "prod")
	d.effect == "allow"
}

test_other_github_files_allowed if {
	d := airlock.decision with input as write(".github/CODEOWNERS", "dev")
	d.effect == "allow"
}

test_large_diff_escalates if {
	inp := json.patch(write("src/big.go", "dev"), [
		{"op": "replace", "path": "/plan/lines_added", "value": 450},
		{"op": "replace", "path": "/plan/lines_removed", "value": 51},
	])
	d := airlock.decision with input as inp
	d.effect == "escalate"
	ids(d) == {"changes.large_diff"}
}

test_diff_of_500_lines_allowed if {
	inp := json.patch(write("src/big.go", "dev"), [
		{"op": "replace", "path": "/plan/lines_added", "value": 450},
		{"op": "replace", "path": "/plan/lines_removed", "value": 50},
	])
	d := airlock.decision with input as inp
	d.effect == "allow"
}

test_session_file_cap_denies if {
	inp := json.patch(write("src/a.go", "dev"), [{"op": "replace", "path": "/session/files_changed", "value": 200}])
	d := airlock.decision with input as inp
	d.effect == "deny"
	"session.too_many_files" in ids(d)
}

test_session_at_cap_allowed if {
	inp := json.patch(write("src/a.go", "dev"), [{"op": "replace", "path": "/session/files_changed", "value": 199}])
	d := airlock.decision with input as inp
	d.effect == "allow"
}

test_deny_carries_escalate_reasons if {
	d := airlock.decision with input as write("deploy/app.yaml", "prod")
	d.effect == "deny"
	ids(d) == {"prod.write_scope", "changes.deploy"}
}
