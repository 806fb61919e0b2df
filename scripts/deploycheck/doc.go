// Package deploycheck holds no code, only tests: they check the deployment files against the
// code they deploy, so a change on either side that breaks a deployment fails `go test`.
//
//   - scripts/build.sh: for every platform (lambda, scf, web) and architecture it writes a
//     reproducible zip holding the right files, mode 0755, with static, stripped ELF binaries for
//     the asked architecture, and the same files unpacked in a directory.
//   - template.yaml (AWS SAM), parsed with goformation, checked by cfn-lint when it is installed:
//     runtime, architecture and handler as built, every environment variable one pkg/config
//     reads, the DynamoDB table with exactly the store's key design, the least IAM policy the
//     store needs, timeouts within Tencent's 2-second budget, the outputs to paste into
//     Tencent's console; and the Makefile `sam build` runs builds with localinvoke's flags. With
//     ArchiveRetention set, PurgeFunction: the same build and variables, invoked by a daily
//     schedule, and a role allowing exactly the calls a purge pass makes, watched on a
//     DynamoDB-compatible server when ROOMHOOK_TEST_DYNAMODB is set (purge_test.go).
//   - serverless.yml and serverless.web.yml (the component scf of Tencent's Serverless Cloud
//     Framework): the same for SCF event and web functions, with secrets taken from the
//     environment and the function URL (an http trigger, AuthType NONE, public) as the only
//     trigger; serverless.purge.yml, the event function again with a daily timer as its only
//     trigger (the archive purge). Beyond these Go tests, tencent/check.sh (run by .ci/run)
//     feeds the three files to Tencent's own component logic, npm tencent-component-toolkit,
//     with the network replaced, and checks the CreateFunction and CreateTrigger requests it
//     would send.
package deploycheck
