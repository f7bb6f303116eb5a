// Package k8s is the deploy gate's Kubernetes front: a validating admission
// webhook (admission.k8s.io/v1 AdmissionReview) that asks a [gate.Gate]
// about every image an object would run and denies the object unless the
// gate allows them all. It is the only ztci package that links the
// Kubernetes API types (k8s.io/api); the rest of the SDK does not.
//
// # What is gated
//
// Pods and the workload kinds that carry a Pod template — PodTemplate,
// ReplicationController (core/v1), Deployment, ReplicaSet, StatefulSet,
// DaemonSet (apps/v1), Job, CronJob (batch/v1) — on CREATE and UPDATE,
// including the pods/ephemeralcontainers subresource (kubectl debug). The
// images are those of containers, initContainers, ephemeralContainers and
// image volumes ([Images]). Each distinct reference is decided once per
// review, however many containers share it (8 containers of one image are
// one gate decision), several at a time up to [WithParallelism]. Every
// decision is the webhook's own identity to the gate (see "Who the gate
// sees"), so WithParallelism above the gate's gate.Limits.MaxInFlightPerJob
// (default 8; summed over the webhook's replicas when they share one gate,
// as they share one service account) makes decisions under load fail
// with gate.ErrJobBusy, which is a deny: raise both together. The reviews
// of one namespace hold at most [WithParallelismPerNamespace] of those
// slots (default half): whoever deploys to a namespace chooses its images,
// and images the gate reads slowly must not hold every slot until their
// deadline, every other namespace's deploys denied as timed out.
//
// Register the webhook for the Pod resource as well as the workload kinds:
// a Deployment that is admitted still creates Pods, and the Pod is what a
// kubelet runs. Gating the workloads too gives the deploying user the deny
// at once instead of a ReplicaSet that cannot create Pods.
//
//	apiVersion: admissionregistration.k8s.io/v1
//	kind: ValidatingWebhookConfiguration
//	webhooks:
//	- name: images.ztci.example
//	  admissionReviewVersions: ["v1"]
//	  sideEffects: NoneOnDryRun # see "dryRun" below
//	  failurePolicy: Fail       # an unreachable webhook is a deny
//	  timeoutSeconds: 10        # the handler answers 1 s before this
//	  rules:
//	  - {apiGroups: [""], apiVersions: [v1], operations: [CREATE, UPDATE],
//	     resources: [pods, pods/ephemeralcontainers, podtemplates, replicationcontrollers]}
//	  - {apiGroups: [apps], apiVersions: [v1], operations: [CREATE, UPDATE],
//	     resources: [deployments, replicasets, statefulsets, daemonsets]}
//	  - {apiGroups: [batch], apiVersions: [v1], operations: [CREATE, UPDATE],
//	     resources: [jobs, cronjobs]}
//	  namespaceSelector:       # only to exempt the webhook's own namespace
//	    matchExpressions:
//	    - {key: kubernetes.io/metadata.name, operator: NotIn, values: [ztci-system]}
//
// Exempt nothing by a label its owner can set. A namespaceSelector on a
// label of your choosing ("ztci.example/skip") is a bypass for whoever may
// label a Namespace, and an objectSelector matches labels the deploying
// user writes on the object itself. The API server sets
// kubernetes.io/metadata.name to the namespace's name and nobody can change
// it: exempt by that, and only a namespace nobody else deploys to (the
// webhook's own: while it is down, failurePolicy Fail would deny the Pods
// that bring it back). Static Pods, which a kubelet runs
// from files on its node, are outside admission: their mirror Pods are
// reviewed, but a deny does not stop the kubelet.
//
// # Who the gate sees
//
// The gate authenticates its caller by a job token ([identity.TokenVerifier]).
// In Kubernetes the deploying identity is the AdmissionReview's userInfo — a
// user, or a controller's service account when a ReplicaSet creates a Pod —
// and it has no CI job token. The webhook therefore calls the gate as
// itself: [New] takes an [identity.TokenSource] for the webhook's own
// workload token (a projected service account token or a JWT-SVID with the
// gate's audience), and the gate's policy sees the webhook as the job.
// That token is sent once per distinct image of a review, several at a
// time, and again with every review until the source renews it: a gate
// whose token verifier spends tokens (oidc.WithSingleUse) denies all but
// the first of those decisions as a replay. Verify the webhook's token
// without spending it. The alternative, a CI job token carried in an
// annotation on the object, is refused by design: anyone who can write the object (or read one that
// carries it) can copy the token onto another object, so it would prove
// nothing about who deploys.
//
// The Kubernetes user is recorded by the webhook itself: one [audit.Event]
// per review ([AuditSource], [AuditAction]) whose actor is userInfo.username
// (kind "service" for service accounts) with its groups, whose resource is
// "<apiVersion Kind> <namespace>/<name>", and whose attributes carry the
// admission uid, the operation, dryRun, each image's outcome and digest, the
// gate's own audit event ids and the caller identity the gate verified. The
// gate's events name only the webhook; join them to the user through
// gate_audit_ids. An object whose images (up to [WithMaxImages], of any
// length) and violations would make the event larger than an audit event
// may be (audit.MaxEventSize) has its message, image list and violations
// cut until it fits, saying how many violations were left out, rather than
// lose the webhook's record; the gate's events keep each image's outcome.
// The API server's audit log gets the decision, the reason code, the
// verified digests and this event's id as audit annotations.
//
// # Digests
//
// The response reports the digest the gate verified for each allowed image
// (audit annotation [AnnotationImages]) and warns the user about every image
// referenced by tag. This webhook validates, it does not mutate: a tag
// allowed now may point to other content when a kubelet pulls it, minutes or
// months later, and the node resolves it itself: with its own credentials,
// through its registry mirrors, or not at all under imagePullPolicy
// IfNotPresent when an image of that tag is already on the node. Reference images by
// digest (image@sha256:…; "image:tag@sha256:…" is pulled, and decided, by
// its digest), and have the webhook deny the rest with
// [WithDigestsRequired] (reason [ReasonTagReference]); the gate's policy
// cannot, as its input names the pinned digest, not the reference.
// Rewriting tags to digests needs a mutating webhook, which this package
// does not provide.
//
// An allow counts only with the digest it was decided on: a [Decider]'s
// answer "allowed" whose Digest is not "sha256:<64 lower-case hex>", or is
// not the digest the object's reference pins ("…@sha256:…"), is undecided
// (reason [ReasonUndecided]), a deny. *gate.Gate always answers so; a
// vendor's own Decider (a cache, a wrapper) must too.
//
// An image is decided as the object spells it, and the gate reads it
// strictly: a reference that leans on a runtime's defaults — no registry
// ("nginx", which a kubelet pulls as docker.io/library/nginx:latest),
// Docker Hub without "library/" ("docker.io/nginx:1.27"), neither tag nor
// digest — is undecided (reason [ReasonUndecided]), never read as some
// other image. Spell it in full: docker.io/library/nginx:1.27@sha256:….
//
// # dryRun
//
// A dry-run request (kubectl --dry-run=server) is decided exactly as the
// real request would be, so the dry run predicts the answer. Its only side
// effects are audit records — the gate's event per image and the webhook's
// event, marked dry_run=true — which the API server also writes for dry
// runs; nothing else is created, cached beyond the gate's verification
// cache, or changed: the webhook asks the gate with [gate.Request].DryRun,
// so a gate configured to record admissions (gate.WithInventory) or to
// attach summaries and results to images (gate.WithVSA, gate.WithSVR)
// does none of that for a dry run. Register the webhook with
// sideEffects: NoneOnDryRun: a real review may make the gate record and
// attach, a dry run never does (None, which the API server treats alike,
// would misstate that to whoever reads the configuration).
//
// # Security contract
//
//   - Fail closed. A review is allowed only when every image was allowed by
//     the gate and the webhook's audit event was accepted. Any other ending —
//     a gate deny or error, a decision not finished by the deadline, an
//     object that does not decode, a kind the webhook cannot read, more than
//     [WithMaxImages] images, an image by tag alone with
//     [WithDigestsRequired], no token, an audit failure — is a deny with
//     status.message naming each image and its rule ids or error. The
//     message reaches terminals (kubectl, and the Events controllers record
//     for the Pods they cannot create), so every character of it that does
//     not print — a control character or escape sequence an image
//     reference carried — is written escaped ("\x1b").
//   - Only DELETE and CONNECT (which start no image), objects without
//     images, UPDATEs whose Pod specs equal field for field those of the
//     object they replace ([ReasonSpecUnchanged]: labels, annotations,
//     finalizers, owner references, status, replicas, a template's
//     metadata — so that after a signer's revocation the garbage collector
//     can still remove a finalizer and the workload be deleted; any change
//     of a Pod spec, an ephemeral container added through the
//     subresource included, is decided, and the Pods a changed workload
//     creates are reviewed as Pods), UPDATEs of objects already being
//     deleted that name no image
//     their old object did not (so a finalizer can be removed whatever the
//     gate now says of what runs; one that changes an image is decided:
//     the object lives on until its finalizers are gone), and — only with
//     [WithUngatedKindsAllowedUnsafe] — kinds the webhook cannot read,
//     except in a request for a Pod or its ephemeral containers, are
//     allowed without asking the gate.
//   - Deadline. The answer is due 1 s before the API server's own timeout
//     (its "timeout" query parameter; a quarter of it before, under 4 s),
//     or at the deadline of the ctx given to [Webhook.Review]. Decisions
//     end at [WithTimeout] (default 7 s) or early enough to leave the
//     audit write its share of that (a second at most, half of the time
//     left at most), whichever is sooner, and the review is then denied;
//     the audit write that follows has at most one more second and never
//     passes the answer's deadline: a deny (an allow not audited in time
//     is [ReasonAuditFailed]). A token source or audit sink that ignores its
//     context is not waited for past these bounds (a deny). The handler
//     moves the connection's write deadline past them, whatever the
//     server's WriteTimeout, so the answer the audit log records is the
//     one the API server reads. The API server thus gets an explicit deny
//     instead of timing out into its failurePolicy.
//   - Parsing. The body must be declared as plain JSON (one Content-Type,
//     application/json, UTF-8, no content coding: [gate.CheckJSONContent]),
//     is bounded ([WithMaxBody], default 4 MiB) and read under the
//     deadline. The AdmissionReview and the object are decoded as the API
//     server decodes them (sigs.k8s.io/json): member names are
//     case-sensitive; repeated members, unknown members, trailing data and
//     bytes that are not UTF-8 are refused. A refused review whose uid is
//     readable is answered with an audited deny for that uid
//     ([ReasonBadReview]), whatever the failurePolicy; a v1beta1 review
//     (admissionReviewVersions listing v1beta1 first) is refused so, its
//     deny written as v1beta1, the only version the API server then
//     reads. An object field
//     unknown to this package's Kubernetes API version is refused too,
//     because it could hold an image this code would not see: keep
//     k8s.io/api at least as new as the cluster.
//   - The object must name the kind the request names, and its namespace
//     and name when it names them; two readings of one object must agree.
//   - The webhook's token goes only to the gate, wrapped in [gate.Token],
//     and appears in no response, audit event, log or error.
//   - Serving TLS is the caller's job (the API server calls webhooks over
//     HTTPS only); serve the handler with per-connection limits, e.g.
//     [gate.NewServer].
//   - Unless [WithCallerCertificates] is given, the handler does not
//     authenticate who calls it: TLS proves the webhook to the API server,
//     not the reverse. Whoever can reach it (a Pod in the cluster) can
//     post a review. Nothing is admitted by that — only the API server's
//     own call admits — but the review is decided with the webhook's
//     token, so the gate does what a real review makes it do (audit
//     events; unless the review says dryRun, the records and attachments
//     of gate.WithInventory, gate.WithVSA and gate.WithSVR), the webhook's
//     audit event names whatever user the review names, and the review's
//     namespace, which it chooses, is its share of the decision slots
//     ([WithParallelismPerNamespace]): reviews naming ever new namespaces
//     and slow images can hold every slot, every real deploy then denied
//     as timed out. Give the API server a client certificate (its
//     admission configuration's kubeConfigFile) and have the handler
//     require it with [WithCallerCertificates] — roots that issue nothing
//     else, or the certificate's name (the cluster's client CA also signs
//     every kubelet's certificate) — and the server ask for client
//     certificates (tls.RequireAndVerifyClientCert with the same roots, or
//     tls.RequestClientCert); or let nothing but the API server reach the
//     webhook (a NetworkPolicy).
package k8s
