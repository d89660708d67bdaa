package airlock.lib_test

import data.airlock.lib

test_env_classes if {
	lib.dev with input as {"workspace": {"environment": "DEV"}}
	lib.nonprod with input as {"workspace": {"environment": "staging"}}
	not lib.dev with input as {"workspace": {"environment": "staging"}}
	lib.prod with input as {"workspace": {"environment": "prod"}}
	lib.prod with input as {"workspace": {"environment": "qa-eu"}}
	lib.prod with input as {"workspace": {}}
}

test_path_parts if {
	lib.top_of("src/a/b.go") == "src"
	lib.top_of("go.mod") == "go.mod"
	lib.base_of("src/a/b.go") == "b.go"
	lib.base_of("b.go") == "b.go"
}

test_secret_path if {
	lib.secret_path(".env")
	lib.secret_path("a/.env.prod")
	lib.secret_path("a/B.PEM")
	lib.secret_path("x/.ssh/known_hosts")
	lib.secret_path("/home/u/.aws/credentials")
	not lib.secret_path("src/envelope.go")
	not lib.secret_path("src/key.go")
}

test_outside_arg if {
	lib.outside_arg("/etc/passwd")
	lib.outside_arg("~")
	lib.outside_arg("..")
	lib.outside_arg("../x")
	lib.outside_arg("a/../../x")
	not lib.outside_arg("a/b")
	not lib.outside_arg("-rf")
}

test_decision_precedence if {
	r := {"rule_id": "r", "message": "m"}
	d := lib.decision with data.airlock.deny as {r}
		with data.airlock.escalate as {{"rule_id": "e", "message": "m"}}
		with data.airlock.allow as {r}
	d == {"effect": "deny", "reasons": [{"rule_id": "r", "message": "m", "effect": "deny"}, {"rule_id": "e", "message": "m", "effect": "escalate"}]}

	e := lib.decision with data.airlock.deny as set()
		with data.airlock.escalate as {r}
		with data.airlock.allow as {r}
		with data.airlock.approval as {"roles": ["x"]}
	e == {"effect": "escalate", "reasons": [{"rule_id": "r", "message": "m", "effect": "escalate"}], "approval": {"roles": ["x"]}}

	a := lib.decision with data.airlock.deny as set()
		with data.airlock.escalate as set()
		with data.airlock.allow as {r}
		with data.airlock.sandbox as null
	a == {"effect": "allow", "reasons": [{"rule_id": "r", "message": "m", "effect": "allow"}], "sandbox": null}

	n := lib.decision with data.airlock.deny as set()
		with data.airlock.escalate as set()
		with data.airlock.allow as set()
	n.effect == "deny"
	n.reasons == [lib.no_allow]
}
