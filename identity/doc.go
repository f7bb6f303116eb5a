// Package identity establishes who a workload is: OIDC job tokens, SPIFFE
// SVIDs, mTLS between pipeline stages, and least-privilege permissions.
//
// Every credential is verified into an [Identity], which other ztci packages
// consume. identity does not link OPA, sigstore-go or go-containerregistry.
package identity
