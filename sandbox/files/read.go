package files

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
)

// ReadFile returns the whole regular file at p. It follows a symbolic link only to a target inside the
// workspace, refuses directories and special files (WrongType) and files above MaxFileBytes (TooLarge). Reading a
// file with several hard links is allowed: reading cannot change the shared inode. Info describes the file read
// (IsSymlink reports whether p itself was a link).
func (r *Root) ReadFile(p string) ([]byte, Info, error) {
	const op = "read_file"
	cp, err := cleanPath(op, p)
	if err != nil {
		return nil, Info{}, err
	}
	li, ok, err := r.lstat(op, cp)
	if err != nil {
		return nil, Info{}, err
	}
	if !ok {
		return nil, Info{Path: cp}, newErr(NotFound, op, cp, "no such file or directory")
	}
	return r.readAfter(op, cp, li)
}

// StatRead is Stat, plus the content when p is a regular file (not a symbolic link), with a single Lstat: the
// planner observes every target this way on each request. err is Stat's error; readErr is a failure to read a
// file that exists (too large, swapped for a special file), which the planner reports later rather than at once.
func (r *Root) StatRead(p string) (info Info, content []byte, readErr, err error) {
	const op = "stat"
	cp, err := cleanPath(op, p)
	if err != nil {
		return Info{}, nil, nil, err
	}
	li, ok, err := r.lstat(op, cp)
	if err != nil || !ok {
		return Info{Path: cp}, nil, nil, err
	}
	info = infoOf(cp, li)
	if !info.IsRegular {
		return info, nil, nil, nil
	}
	content, _, readErr = r.readAfter("read_file", cp, li)
	return info, content, readErr, nil
}

// readAfter reads the whole file at cp, given the Lstat the caller just made.
func (r *Root) readAfter(op, cp string, li fs.FileInfo) ([]byte, Info, error) {
	f, fi, err := r.openRegularAfter(op, cp, li)
	if err != nil {
		return nil, Info{}, err
	}
	defer f.Close()
	if fi.Size() > r.lim.MaxFileBytes {
		return nil, Info{}, newErr(TooLarge, op, cp, "file larger than the configured limit")
	}
	// The file may grow after fstat; read one byte past the limit to notice.
	b, err := readSized(f, fi.Size(), r.lim.MaxFileBytes+1)
	if err != nil {
		return nil, Info{}, osErr(op, cp, err)
	}
	if int64(len(b)) > r.lim.MaxFileBytes {
		return nil, Info{}, newErr(TooLarge, op, cp, "file larger than the configured limit")
	}
	info := infoOf(cp, fi)
	info.Size = int64(len(b))
	info.IsSymlink = li.Mode()&fs.ModeSymlink != 0
	return b, info, nil
}

// readSized reads f to its end, at most max bytes, starting with a buffer of the size fstat reported (plus one,
// so that reaching the end needs no second buffer) rather than io.ReadAll's doubling from 512 bytes.
func readSized(f io.Reader, size, max int64) ([]byte, error) {
	b := make([]byte, 0, min(size+1, max))
	for int64(len(b)) < max {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := f.Read(b[len(b):min(int64(cap(b)), max)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
	return b, nil
}

// ReadResult is one slice of a file.
type ReadResult struct {
	Content   []byte
	Size      int64  // size of the whole file
	SHA256    string // of the whole file; "" when the file is above MaxFileBytes (it could not be written anyway)
	Truncated bool   // the slice ends before the end of the file
}

// Read returns up to limit bytes of the regular file at p starting at offset. limit 0 means MaxReadBytes and
// larger limits are clamped to it. The hash covers the whole file so a later write can be bound to the state
// the agent saw, even when it saw only part of it.
func (r *Root) Read(p string, offset, limit int64) (ReadResult, error) {
	const op = "read_file"
	if offset < 0 || limit < 0 {
		return ReadResult{}, newErr(InvalidArgument, op, "", "offset and limit must not be negative")
	}
	if limit == 0 || limit > r.lim.MaxReadBytes {
		limit = r.lim.MaxReadBytes
	}
	cp, err := cleanPath(op, p)
	if err != nil {
		return ReadResult{}, err
	}
	f, fi, err := r.openRegular(op, cp)
	if err != nil {
		return ReadResult{}, err
	}
	defer f.Close()

	res := ReadResult{Size: fi.Size()}
	if offset < fi.Size() {
		buf := make([]byte, min(limit, fi.Size()-offset))
		n, err := f.ReadAt(buf, offset)
		if err != nil && err != io.EOF {
			return ReadResult{}, osErr(op, cp, err)
		}
		res.Content = buf[:n]
	}
	res.Truncated = offset+int64(len(res.Content)) < fi.Size()
	if fi.Size() <= r.lim.MaxFileBytes {
		h := sha256.New()
		n, err := io.Copy(h, io.NewSectionReader(f, 0, r.lim.MaxFileBytes+1))
		if err != nil {
			return ReadResult{}, osErr(op, cp, err)
		}
		if n <= r.lim.MaxFileBytes {
			res.SHA256 = hex.EncodeToString(h.Sum(nil))
		}
	}
	return res, nil
}
