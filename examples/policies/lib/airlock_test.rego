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

test_decide_precedence if {
	d := lib.decide({{"rule_id": "a", "message": "m"}}, {{"rule_id": "b", "message": "m"}}, {{"rule_id": "c", "message": "m"}}, {"roles": ["r"]}, null)
	d.effect == "deny"
	d.reasons == [{"rule_id": "a", "message": "m", "effect": "deny"}, {"rule_id": "b", "message": "m", "effect": "escalate"}]

	e := lib.decide(set(), {{"rule_id": "b", "message": "m"}}, {{"rule_id": "c", "message": "m"}}, {"roles": ["r"]}, null)
	e.effect == "escalate"
	e.approval == {"roles": ["r"]}

	a := lib.decide(set(), set(), {{"rule_id": "c", "message": "m"}}, {"roles": ["r"]}, {"network": false})
	a.effect == "allow"
	a.sandbox == {"network": false}

	n := lib.decide(set(), set(), set(), {"roles": ["r"]}, null)
	n.effect == "deny"
	n.reasons[0].rule_id == "default.no_allow"
}
