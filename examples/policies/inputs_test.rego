# Input builders for the policy tests: they produce documents shaped like the
# planner's (policy/input.go), so tests read as "this action in this env".
package airlock_test

base(p) := parts[count(parts) - 1] if parts := split(p, "/")

ext(p) := m[0] if {
	m := regex.find_n(`\.[^./]*$`, base(p), 1)
	count(m) == 1
} else := ""

# file_input is a file action on paths (the first is the target), of which
# written are the ones it would change, in environment env.
file_input(kind, paths, written, env) := {
	"version": 1,
	"action": {"kind": kind, "path": paths[0]},
	"plan": {
		"digest": "sha256:test",
		"mutating": count(written) > 0,
		"path": paths[0],
		"top_dir": split(paths[0], "/")[0],
		"dir": concat("/", array.slice(split(paths[0], "/"), 0, count(split(paths[0], "/")) - 1)),
		"base": base(paths[0]),
		"ext": ext(paths[0]),
		"segments": split(paths[0], "/"),
		"all_paths": sort(paths),
		"top_dirs": sort({split(p, "/")[0] | some p in paths}),
		"bases": sort({base(p) | some p in paths}),
		"exts": sort({ext(p) | some p in paths; ext(p) != ""}),
		"written_paths": sort(written),
		"paths": [{"path": p, "op": kind, "exists": true, "is_dir": false, "size": 120} | some p in paths],
		"files_changed": count(written),
		"lines_added": 12,
		"lines_removed": 3,
		"diff_bytes": 400,
	},
	"principal": {"id": "agent-7", "kind": "agent", "roles": ["agent"]},
	"workspace": {"name": "shop", "environment": env, "labels": {"team": "payments"}},
	"session": {"id": "sess-1", "actions": 4, "files_changed": 3, "lines_changed": 40},
	"request": {"intent": "fix the checkout bug", "labels": {}, "time": "2026-01-02T03:04:05Z"},
}

read(path, env) := file_input("read_file", [path], [], env)

list(path, env) := file_input("list_dir", [path], [], env)

write(path, env) := file_input("write_file", [path], [path], env)

move(from, to, env) := object.union(
	file_input("move_file", [from, to], [from, to], env),
	{"action": {"to_path": to}},
)

# exec_input runs argvs (one simple command each, piped) in env.
exec_input(argvs, env) := exec_with(argvs, env, {})

# exec_with overrides fields of plan.command (dynamic, outside, redirects...).
exec_with(argvs, env, command) := {
	"version": 1,
	"action": {"kind": "exec", "argv": argvs[0]},
	"plan": {
		"digest": "sha256:test",
		"mutating": true,
		"path": "",
		"top_dir": "",
		"dir": "",
		"base": "",
		"ext": "",
		"segments": null,
		"all_paths": null,
		"top_dirs": null,
		"bases": null,
		"exts": null,
		"written_paths": null,
		"paths": null,
		"files_changed": 0,
		"lines_added": 0,
		"lines_removed": 0,
		"diff_bytes": 0,
		"command": object.union(
			{
				"commands": [{
					"name": argv[0], "argv": argv, "literal": true, "op": "|",
					"wrapped_by": null, "redirects": null,
				} |
					some argv in argvs
				],
				"names": sort({argv[0] | some argv in argvs}),
				"redirect_writes": null,
				"outside": false,
				"dynamic": false,
				"cwd": "",
			},
			command,
		),
	},
	"principal": {"id": "agent-7", "kind": "agent", "roles": ["agent"]},
	"workspace": {"name": "shop", "environment": env, "labels": {}},
	"session": {"id": "sess-1", "actions": 4, "files_changed": 3, "lines_changed": 40},
	"request": {"intent": "run the tests", "labels": {}, "time": "2026-01-02T03:04:05Z"},
}

# ids is the set of rule ids in a decision.
ids(d) := {r.rule_id | some r in d.reasons}
