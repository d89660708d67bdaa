package shell

import "testing"

func BenchmarkParseScript(b *testing.B) {
	const script = `cd src && go test ./... 2>&1 | tee ../test.log`
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseScript(script, "bash", "", nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseScriptWrapped(b *testing.B) {
	const script = `sudo env FOO=1 timeout 10 bash -c 'make build && ./bin/app > out.txt'`
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseScript(script, "bash", "", nil); err != nil {
			b.Fatal(err)
		}
	}
}
