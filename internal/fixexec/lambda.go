package fixexec

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"fmt"
	"time"
)

// StopLoggingSource is the Python source of the StopLogging remediation function.
//
//go:embed lambda/stoplogging_remediation.py
var StopLoggingSource []byte

// Embedded Lambda packages, by the name plans use for them in CreateFunction's Code.Embedded.
var embeddedCode = map[string][]byte{
	"stoplogging_remediation.py": StopLoggingSource,
}

// lambdaZip builds the deployment package of an embedded source file in memory. The zip is
// deterministic (fixed timestamp and mode), so the same lookout build always uploads the same
// bytes and its SHA-256 can be compared with the deployed function's CodeSha256.
func lambdaZip(name string) ([]byte, error) {
	src, ok := embeddedCode[name]
	if !ok {
		return nil, fmt.Errorf("no embedded Lambda source %q", name)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: name, Method: zip.Deflate, Modified: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)}
	h.SetMode(0o644)
	w, err := zw.CreateHeader(h)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(src); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// LambdaZipSHA256 is the hex SHA-256 of an embedded package (for plans and tests).
func LambdaZipSHA256(name string) (string, error) {
	z, err := lambdaZip(name)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(z)
	return hex.EncodeToString(sum[:]), nil
}
