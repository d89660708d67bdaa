package airlock_test

import data.airlock

test_read_allowed_everywhere if {
	every env in ["dev", "staging", "prod"] {
		d := airlock.decision with input as read("deploy/values.yaml", env)
		d.effect == "allow"
		ids(d) == {"files.read"}
		d.sandbox == null
	}
}

test_write_allowed_anywhere_in_dev_and_staging if {
	every env in ["dev", "staging"] {
		d := airlock.decision with input as write("docs/guide.md", env)
		d.effect == "allow"
		ids(d) == {"files.write"}
	}
}

test_prod_write_under_src_and_tests_allowed if {
	every p in ["src/cart/cart.go", "tests/cart_test.go"] {
		d := airlock.decision with input as write(p, "prod")
		d.effect == "allow"
	}
}

test_prod_write_elsewhere_denied if {
	every p in ["docs/guide.md", "README.md", "scripts/run.sh"] {
		d := airlock.decision with input as write(p, "prod")
		d.effect == "deny"
		"prod.write_scope" in ids(d)
	}
}

test_prod_move_out_of_src_denied if {
	d := airlock.decision with input as move("src/a.go", "lib/a.go", "prod")
	"prod.write_scope" in ids(d)
}

test_unknown_env_is_prod if {
	d := airlock.decision with input as write("docs/guide.md", "")
	d.effect == "deny"
	"prod.write_scope" in ids(d)
}

test_write_without_planned_paths_denied if {
	inp := json.patch(write("src/a.go", "dev"), [{"op": "replace", "path": "/plan/written_paths", "value": null}])
	d := airlock.decision with input as inp
	d.effect == "deny"
	"files.write_unplanned" in ids(d)
}

test_unknown_kind_default_denied if {
	d := airlock.decision with input as file_input("chmod_file", ["src/a.go"], [], "dev")
	d.effect == "deny"
	ids(d) == {"default.no_allow"}
}

test_prod_exec_redirect_outside_src_denied if {
	d := airlock.decision with input as exec_with([["go", "test", "./..."]], "prod", {"redirect_writes": ["build.log"]})
	"prod.write_scope" in ids(d)
}

test_prod_exec_redirect_dev_null_allowed if {
	d := airlock.decision with input as exec_with([["go", "test", "./..."]], "prod", {"redirect_writes": ["/dev/null"]})
	d.effect == "allow"
}
