package client

import (
	"context"

	airlockv1 "github.com/airlock-dev/airlock/gen/airlock/v1"
)

// The constructors below build one Action each, for Submit and Evaluate;
// the typed methods further down use them.

// ReadFileAction reads a file.
func ReadFileAction(path string) *airlockv1.Action {
	return &airlockv1.Action{Kind: &airlockv1.Action_ReadFile{ReadFile: &airlockv1.ReadFile{Path: path}}}
}

// WriteFileAction creates or replaces a whole file.
func WriteFileAction(path string, content []byte) *airlockv1.Action {
	return &airlockv1.Action{Kind: &airlockv1.Action_WriteFile{WriteFile: &airlockv1.WriteFile{Path: path, Content: content}}}
}

// EditFileAction replaces oldText, which must occur exactly once unless
// ReplaceAll is given, with newText.
func EditFileAction(path, oldText, newText string) *airlockv1.Action {
	return &airlockv1.Action{Kind: &airlockv1.Action_EditFile{EditFile: &airlockv1.EditFile{Path: path, OldText: oldText, NewText: newText}}}
}

// DeleteFileAction removes a file, a symbolic link or an empty directory.
func DeleteFileAction(path string) *airlockv1.Action {
	return &airlockv1.Action{Kind: &airlockv1.Action_DeleteFile{DeleteFile: &airlockv1.DeleteFile{Path: path}}}
}

// MoveFileAction renames a file or directory inside the workspace.
func MoveFileAction(from, to string) *airlockv1.Action {
	return &airlockv1.Action{Kind: &airlockv1.Action_MoveFile{MoveFile: &airlockv1.MoveFile{FromPath: from, ToPath: to}}}
}

// MakeDirAction creates a directory with its missing parents.
func MakeDirAction(path string) *airlockv1.Action {
	return &airlockv1.Action{Kind: &airlockv1.Action_MakeDir{MakeDir: &airlockv1.MakeDir{Path: path}}}
}

// ListDirAction lists a directory ("" is the workspace root).
func ListDirAction(path string) *airlockv1.Action {
	return &airlockv1.Action{Kind: &airlockv1.Action_ListDir{ListDir: &airlockv1.ListDir{Path: path}}}
}

// ApplyPatchAction applies a unified diff, all or nothing.
func ApplyPatchAction(patch string) *airlockv1.Action {
	return &airlockv1.Action{Kind: &airlockv1.Action_ApplyPatch{ApplyPatch: &airlockv1.ApplyPatch{Patch: patch}}}
}

// ExecAction runs a program with its arguments, without a shell.
func ExecAction(argv []string) *airlockv1.Action {
	return &airlockv1.Action{Kind: &airlockv1.Action_Exec{Exec: &airlockv1.Exec{Argv: argv}}}
}

// ScriptAction runs a shell script (sh unless Shell says otherwise).
func ScriptAction(script string) *airlockv1.Action {
	return &airlockv1.Action{Kind: &airlockv1.Action_Exec{Exec: &airlockv1.Exec{Script: script}}}
}

// ReadFile reads a file in workspace ws (see ReadRange).
func (c *Client) ReadFile(ctx context.Context, ws, path string, opts ...Opt) (*airlockv1.ActionRecord, error) {
	return c.Submit(ctx, ws, ReadFileAction(path), opts...)
}

// WriteFile creates or replaces a file (see CreateOnly, FileMode,
// ExpectSHA256).
func (c *Client) WriteFile(ctx context.Context, ws, path string, content []byte, opts ...Opt) (*airlockv1.ActionRecord, error) {
	return c.Submit(ctx, ws, WriteFileAction(path, content), opts...)
}

// EditFile replaces exact text in a file (see ReplaceAll, ExpectSHA256).
func (c *Client) EditFile(ctx context.Context, ws, path, oldText, newText string, opts ...Opt) (*airlockv1.ActionRecord, error) {
	return c.Submit(ctx, ws, EditFileAction(path, oldText, newText), opts...)
}

// DeleteFile removes a file, a symbolic link or an empty directory.
func (c *Client) DeleteFile(ctx context.Context, ws, path string, opts ...Opt) (*airlockv1.ActionRecord, error) {
	return c.Submit(ctx, ws, DeleteFileAction(path), opts...)
}

// MoveFile renames a file or directory (see Overwrite).
func (c *Client) MoveFile(ctx context.Context, ws, from, to string, opts ...Opt) (*airlockv1.ActionRecord, error) {
	return c.Submit(ctx, ws, MoveFileAction(from, to), opts...)
}

// MakeDir creates a directory with its missing parents.
func (c *Client) MakeDir(ctx context.Context, ws, path string, opts ...Opt) (*airlockv1.ActionRecord, error) {
	return c.Submit(ctx, ws, MakeDirAction(path), opts...)
}

// ListDir lists a directory (see Recursive, MaxEntries).
func (c *Client) ListDir(ctx context.Context, ws, path string, opts ...Opt) (*airlockv1.ActionRecord, error) {
	return c.Submit(ctx, ws, ListDirAction(path), opts...)
}

// ApplyPatch applies a unified diff to one or more files, all or nothing.
func (c *Client) ApplyPatch(ctx context.Context, ws, patch string, opts ...Opt) (*airlockv1.ActionRecord, error) {
	return c.Submit(ctx, ws, ApplyPatchAction(patch), opts...)
}

// Exec runs argv in the command sandbox (see InDir, Env, Stdin, Timeout).
func (c *Client) Exec(ctx context.Context, ws string, argv []string, opts ...Opt) (*airlockv1.ActionRecord, error) {
	return c.Submit(ctx, ws, ExecAction(argv), opts...)
}

// ExecScript runs a shell script in the command sandbox (see Shell and the
// Exec options).
func (c *Client) ExecScript(ctx context.Context, ws, script string, opts ...Opt) (*airlockv1.ActionRecord, error) {
	return c.Submit(ctx, ws, ScriptAction(script), opts...)
}
