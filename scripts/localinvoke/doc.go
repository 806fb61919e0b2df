// Package localinvoke runs a built serverless function binary under its
// platform's real invocation protocol on loopback, so that tests and the
// scripts/invoke command exercise the same code path the cloud does:
//
//   - AWS Lambda: the binary (called bootstrap on provided.al2023) runs under
//     the AWS Lambda Runtime Interface Emulator (RIE), pinned as a Go tool in
//     go.mod; each event is POSTed to the emulator's invoke endpoint.
//   - Tencent SCF event functions: the binary is started the way the SCF Go
//     runtime starts it, with _LAMBDA_SERVER_PORT set, and driven over Go's
//     net/rpc (Function.Ping, Function.Invoke) with scf-go-lib's message types.
//   - Tencent SCF web functions (StartWeb): the binary is an HTTP server,
//     started with PORT set to a free port and ROOMHOOK_LISTEN_HOST=127.0.0.1;
//     callers send it HTTP requests.
//
// A Runtime is one function instance: it is started once and then serves any
// number of warm invocations, one at a time, until Close.
//
// The package builds binaries with the go command found on PATH, run from the
// root of the module that contains the current directory (go env GOMOD).
// It is for Unix (it manages process groups) and binds and dials 127.0.0.1
// only. The one exception is scf-go-lib itself, which listens on
// 0.0.0.0:$_LAMBDA_SERVER_PORT; that is the library's choice and cannot be
// changed from outside.
//
// It imports nothing from roomhook's pkg/ or functions/: it drives any binary
// written against aws-lambda-go or scf-go-lib.
package localinvoke
