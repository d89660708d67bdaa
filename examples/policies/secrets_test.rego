package airlock_test

import data.airlock

test_secret_read_denied_every_name if {
	every p in [
		".env", ".env.production", "config/.env.local", "certs/server.pem", "tls/app.key",
		"home/.ssh/id_rsa", "id_ed25519", "credentials", "config/credentials.json",
		".npmrc", ".netrc", ".aws/config", "ops/.aws/credentials",
	] {
		d := airlock.decision with input as read(p, "dev")
		d.effect == "deny"
		"secrets.touch" in ids(d)
	}
}

test_secret_write_denied if {
	d := airlock.decision with input as write(".env", "dev")
	d.effect == "deny"
	"secrets.touch" in ids(d)
}

test_secret_move_source_denied if {
	d := airlock.decision with input as move("src/.env", "src/notes.txt", "dev")
	"secrets.touch" in ids(d)
}

test_secret_dir_list_allowed if {
	d := airlock.decision with input as list(".aws", "prod")
	d.effect == "allow"
	not "secrets.touch" in ids(d)
}

test_lookalikes_allowed if {
	every p in ["src/env.go", "docs/keys.md", "src/environment.ts", "src/credentials_test.go"] {
		d := airlock.decision with input as read(p, "prod")
		d.effect == "allow"
	}
}

test_secret_exec_argument_denied if {
	d := airlock.decision with input as exec_input([["cat", "config/.env"]], "dev")
	d.effect == "deny"
	"secrets.exec" in ids(d)
}

test_secret_exec_redirect_denied if {
	inp := exec_with([["echo", "x"]], "dev", {"commands": [{
		"name": "echo", "argv": ["echo", "x"], "literal": true, "op": "",
		"wrapped_by": null,
		"redirects": [{"op": ">>", "target": "deploy/prod.pem", "path": "deploy/prod.pem", "outside": false, "write": true}],
	}]})
	d := airlock.decision with input as inp
	"secrets.exec" in ids(d)
}
