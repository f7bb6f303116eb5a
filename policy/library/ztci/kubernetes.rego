# METADATA
# title: Kubernetes manifest rules
# description: |
#   conftest-style rules on input.manifests: no privileged containers, no
#   privilege escalation (allowPrivilegeEscalation: false on every
#   container), no added capabilities beyond the Pod Security
#   baseline set, no host namespaces, host ports or hostPath volumes, no
#   probe or lifecycle hook that names a host, images
#   pinned by digest and allow-listed, containers that run as non-root
#   (runAsNonRoot: true and no runAsUser 0, at pod or container level; a
#   container's null is unset, so the pod's applies), no
#   procMount but Default, image volumes pinned and allow-listed like
#   container images, no gitRepo volumes, no volume source outside the
#   Pod Security restricted profile's (nfs, iscsi, rbd, flexVolume...: the
#   node mounts what the pod names) unless allowed_volume_types lists it,
#   inline csi volumes only of a driver in allowed_csi_drivers, no claim
#   or claim template that binds an existing PersistentVolume
#   (volumeName, selector), no hostPath or local PersistentVolume, no
#   ConfigMap that loosens ingress-nginx or configures Argo CD, no Secret
#   Argo CD reads a cluster or repository from, no Argo CD Application
#   or ApplicationSet outside allowed_argocd_projects and
#   allowed_argocd_repos or on a revision that is not a commit SHA or a
#   digest, or with an inline source override (helm values or
#   parameters, kustomize patches or images, plugin env or parameters,
#   jsonnet extVars or tlas; tool and source members in any case), or
#   with a managedNamespaceMetadata unless allowed_kinds lists Namespace,
#   nor
#   AppProject with wildcards or without a namespaceResourceWhitelist of
#   kinds the gate accepts, or whose whitelists grant Secret,
#   ServiceAccount or RBAC kinds (even when allowed_kinds lists them), or
#   whose roles grant more than get or whose destinationServiceAccounts
#   are globs or control plane accounts, no Argo CD destination in a
#   control plane namespace (control_plane_namespaces), no
#   Ingress whose ingress-nginx auth-url or mirror-target
#   allowed_ingress_urls does not list or that opts out of global
#   authentication or the WAF or that names its own source ranges (which
#   lift block-cidrs) or satisfy other than "all", no ConfigMap that
#   replaces ingress-nginx's default source ranges or block lists, no
#   ConfigMap that points
#   ingress-nginx's tracing, syslog or rate limit collector at a host
#   allowed_ingress_collectors does not list, nor that has it trust a
#   forwarded client address from peers allowed_ingress_real_ip does not
#   list, no Traefik Middleware whose forwardAuth address
#   allowed_ingress_urls does not list (even when allowed_kinds lists
#   Middleware), nothing in the control plane's kube- namespaces.
#   Deny by default: an empty or missing manifest list (or one of empty
#   Lists only), a manifest that is
#   not an object, a kind the rules do not know (neither a workload they
#   judge nor a kind listed as harmless; a workload's or harmless kind's
#   name in another API group is a custom resource, and unknown), a
#   workload whose pod template is
#   missing or malformed, and a security field spelled with different case
#   (older API servers match JSON keys case-insensitively) are all denied.
#   Pod specs are judged wherever they appear: at the known path of each
#   workload kind, inside List items, and anywhere else in any object (an
#   object with containers, initContainers or ephemeralContainers counts as
#   a pod spec), so a CRD that embeds a pod template is judged too.
#   Config (data.ztci.config.kubernetes): allowed_images (prefixes, matched
#   at a "/", ":" or "@" boundary, images and prefixes read as Docker
#   reads them, "alpine" not covering "alpine/git", and an image naming a
#   registry host only by a prefix naming that host whole:
#   lib.allowed_image; empty: any pinned image), allowed_kinds (kinds added
#   to the harmless list), allowed_volume_types (volume sources accepted
#   beyond the restricted profile's), allowed_csi_drivers (drivers an
#   inline csi volume may name; empty: none), allowed_argocd_projects and
#   allowed_argocd_repos (exact project names and repository URLs an Argo
#   CD Application may use; empty: none), allow_argocd_floating_revisions
#   (true: a branch, tag, HEAD or Helm version is accepted as a
#   revision), allow_argocd_source_overrides (true: a source's helm,
#   kustomize, plugin and directory may change what Argo CD renders),
#   allow_argocd_project_credentials (true: an AppProject's whitelists
#   may grant Secret, ServiceAccount and, listed in allowed_kinds, RBAC
#   kinds), allow_argocd_project_roles (true: an AppProject's roles may
#   grant any action), control_plane_namespaces (added to argocd,
#   openshift-gitops and the kube- namespaces as destinations no Argo CD
#   object may name), allow_ingress_source_ranges (true: an Ingress may name
#   whitelist-, allowlist- or denylist-source-range, and a ConfigMap
#   set ingress-nginx's source ranges and block lists),
#   allowed_ingress_urls (exact URLs an ingress-nginx auth-url
#   or mirror-target may hold; empty: none), allowed_ingress_collectors
#   (exact hosts or URLs ingress-nginx's collector keys may hold; empty:
#   none), allowed_ingress_real_ip (exact proxy-real-ip-cidr entries and
#   forwarded-for-header values ingress-nginx may trust; empty: none).
#   Messages show the manifests' values quoted and escaped (lib.printable).
package ztci.kubernetes

import data.ztci.lib

manifests := object.get(input, "manifests", null)

allowed_images := lib.config("kubernetes", "allowed_images", [])

# workloads maps each kind the rules judge to the path of its pod spec.
workloads := {
	"Pod": ["spec"],
	"PodTemplate": ["template", "spec"],
	"ReplicationController": ["spec", "template", "spec"],
	"ReplicaSet": ["spec", "template", "spec"],
	"Deployment": ["spec", "template", "spec"],
	"StatefulSet": ["spec", "template", "spec"],
	"DaemonSet": ["spec", "template", "spec"],
	"Job": ["spec", "template", "spec"],
	"CronJob": ["spec", "jobTemplate", "spec", "template", "spec"],
}

# harmless_kinds carry no pod spec and grant no privilege the rules would
# have to judge. RBAC, Namespace (its labels set the Pod Security level),
# PersistentVolume (hostPath), webhooks and CRDs are not on it: list them
# in allowed_kinds to accept them.
harmless_kinds := {
	"ConfigMap", "Secret", "Service", "ServiceAccount", "PersistentVolumeClaim",
	"HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy", "Ingress",
}

# harmless_groups are the API groups of each harmless kind (the core
# group is ""). The same kind in another group is a custom resource
# ("evil.example/v1" Secret) that its controller may turn into anything:
# neither judged nor harmless, it is an unknown kind.
harmless_groups := {
	"ConfigMap": {""},
	"Secret": {""},
	"Service": {""},
	"ServiceAccount": {""},
	"PersistentVolumeClaim": {""},
	"HorizontalPodAutoscaler": {"autoscaling"},
	"PodDisruptionBudget": {"policy"},
	"NetworkPolicy": {"networking.k8s.io", "extensions"},
	"Ingress": {"networking.k8s.io", "extensions"},
}

# workload_groups are the API groups of each workload kind (extensions
# served Deployment, ReplicaSet and DaemonSet before apps). A workload
# kind's name in another group is a custom resource ("evil.example/v1"
# Deployment, "batch.volcano.sh" Job) that its controller may turn into
# anything the pod spec the rules read does not say: like a harmless
# kind's name in another group, it is an unknown kind.
workload_groups := {
	"Pod": {""},
	"PodTemplate": {""},
	"ReplicationController": {""},
	"ReplicaSet": {"apps", "extensions"},
	"Deployment": {"apps", "extensions"},
	"StatefulSet": {"apps"},
	"DaemonSet": {"apps", "extensions"},
	"Job": {"batch"},
	"CronJob": {"batch"},
}

extra_kinds := {k | some k in lib.config("kubernetes", "allowed_kinds", []); is_string(k)}

container_fields := ["containers", "initContainers", "ephemeralContainers"]

# baseline_caps are the capabilities the Pod Security Standards' baseline
# profile lets a container add; anything else (SYS_ADMIN, NET_ADMIN, ALL...)
# is denied.
baseline_caps := {
	"AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD",
	"NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT",
}

# checked_keys are the member names the rules read. A manifest member that
# is one of them in another case ("HostNetwork", "privileged" as
# "Privileged") is denied: a case-insensitive decoder would honour it and
# these rules would not see it. That holds for every member a rule reads,
# the metadata's annotations (seccomp, AppArmor, ingress-nginx) and a
# NetworkPolicy's rules and peers included: "Annotations" or "IpBlock"
# would hide what the rules judge there.
checked_keys := {
	"kind", "spec", "template", "jobTemplate", "items", "containers", "initContainers",
	"ephemeralContainers", "securityContext", "privileged", "allowPrivilegeEscalation",
	"capabilities", "add", "runAsNonRoot", "runAsUser", "hostNetwork", "hostPID", "hostIPC",
	"hostPort", "ports", "volumes", "hostPath", "image", "windowsOptions", "hostProcess",
	"procMount", "seccompProfile", "appArmorProfile", "seLinuxOptions", "sysctls",
	"externalIPs", "gitRepo", "reference", "apiVersion", "metadata", "namespace",
	"annotations", "ingress", "egress", "from", "to", "ipBlock", "cidr",
	"livenessProbe", "readinessProbe", "startupProbe", "lifecycle", "postStart", "preStop",
	"httpGet", "tcpSocket", "host", "path", "driver", "volumeName", "selector",
	"volumeClaimTemplate", "volumeClaimTemplates", "local", "name", "data", "labels",
	"project", "repoURL", "templatePatch", "destination", "destinations", "server", "group",
	"sourceRepos", "sourceNamespaces", "clusterResourceWhitelist", "namespaceResourceWhitelist",
	"targetRevision", "revision", "revisions", "sourceHydrator", "roles", "policies",
	"destinationServiceAccounts", "defaultServiceAccount",
}

checked_lower := {lower(k): k | some k in checked_keys}

# fold is a member name as a case-insensitive decoder compares it. Go's
# encoding/json (which sigs.k8s.io/yaml decodes through) folds case
# with Unicode's simple folding, where "ſ" (long s) is an "s" and "K"
# (the Kelvin sign) a "k": "hoſtNetwork" is hostNetwork to it, and
# lower() alone keeps the "ſ". upper() maps both onto ASCII first.
fold(k) := lower(upper(k))

kind_of(m) := object.get(m, "kind", null) if is_object(m)

else := null

# is_list_kind: "List", or "<kind>List" for a kind the rules know. Any
# other kind ending in "List" ("EvilList", a CRD) is an object like any
# other, so an unknown one is denied rather than unwrapped into nothing.
is_list_kind("List")

is_list_kind(kind) if {
	is_string(kind)
	kind != "List"
	endswith(kind, "List")
	known_kind(trim_suffix(kind, "List"))
}

# objects are the manifests and the items of List manifests (one level: a
# List inside a List is an unknown kind).
objects contains m if {
	some m in manifests
	not is_list_kind(kind_of(m))
}

objects contains item if {
	some m in manifests
	is_list_kind(kind_of(m))
	items := object.get(m, "items", [])
	is_array(items)
	some item in items
	is_object(item)
}

# name is "<kind>/<name>" of manifest m, as a violation's value gives it.
name(m) := sprintf("%s/%s", [lib.show(m, "kind"), lib.show(m, ["metadata", "name"])])

# label names manifest m in a message: its name, quoted and escaped
# (lib.printable: "Pod/web"). The kind and name are the manifest's, and a
# message must not carry a line, a control or a bidirectional override
# of theirs into a log as it is.
label(m) := lib.printable(name(m))

violations contains v if {
	not is_array(manifests)
	manifests != null
	v := {"rule": "kubernetes.malformed", "message": sprintf("input.manifests must be a list, not a %s", [type_name(manifests)]), "value": null}
}

violations contains v if {
	no_manifests
	v := {"rule": "kubernetes.no_manifests", "message": "a kubernetes.admit decision needs at least one manifest in input.manifests", "value": null}
}

violations contains v if {
	is_array(manifests)
	some i, m in manifests
	not is_object(m)
	v := {"rule": "kubernetes.not_an_object", "message": sprintf("manifest %d is a %s, not an object", [i, type_name(m)]), "value": i}
}

violations contains v if {
	some m in manifests
	is_list_kind(kind_of(m))
	items := object.get(m, "items", null)
	not list_of_objects(items)
	v := {"rule": "kubernetes.malformed", "message": sprintf("%s: items must be a list of objects", [label(m)]), "value": name(m)}
}

# kubectl decodes any object with an items member as a List, whatever its
# kind, and applies its items instead of the object (apimachinery's
# unstructured decoder; nested Lists are flattened too). An object of any
# other kind with items would hide objects the kind rules never see (a
# ConfigMap whose items hold a ClusterRoleBinding): an object of a kind the
# rules accept is malformed with one (an unknown kind is denied anyway).
violations contains v if {
	some m in objects
	is_object(m)
	"items" in object.keys(m)
	known_object(m)
	v := {
		"rule": "kubernetes.malformed",
		"message": sprintf("%s has an items member; kubectl would apply its items as a List instead of the object (only List and <kind>List hold items)", [label(m)]),
		"value": name(m),
	}
}

list_of_objects(xs) if {
	is_array(xs)
	every x in xs {
		is_object(x)
	}
}

known_kind(kind) if workloads[kind]

known_kind(kind) if kind in harmless_kinds

known_kind(kind) if kind in extra_kinds

# harmless_in_group: a harmless kind's object names that kind's API group
# in its apiVersion ("v1", "networking.k8s.io/v1"), or has no apiVersion
# (which no API server accepts).
harmless_in_group(m) if in_group(m, harmless_groups[m.kind])

# in_group: m names one of groups in its apiVersion, or has no apiVersion.
in_group(m, _) if not "apiVersion" in object.keys(m)

in_group(m, groups) if {
	v := m.apiVersion
	is_string(v)
	group := concat("/", array.slice(split(v, "/"), 0, count(split(v, "/")) - 1))
	group in groups
}

# known_object: m's kind is judged or harmless, in its own API group, or
# listed in allowed_kinds (by kind alone).
known_object(m) if in_group(m, workload_groups[m.kind])

known_object(m) if {
	m.kind in harmless_kinds
	harmless_in_group(m)
}

known_object(m) if m.kind in extra_kinds

violations contains v if {
	some m in objects
	is_object(m)
	kind := kind_of(m)
	not known_object(m)
	v := {
		"rule": "kubernetes.unknown_kind",
		"message": sprintf("%s: kind %s (apiVersion %s) is not one the rules judge (%v) nor one listed as harmless (in its own API group); add it to kubernetes.allowed_kinds if it is", [label(m), lib.printable(kind), lib.printable(lib.show(m, "apiVersion")), sort(object.keys(workloads))]),
		"value": kind,
	}
}

# harmful_shape are [object, why] for objects of a harmless kind that are
# not harmless after all: a Service that opens ingress from outside the
# cluster (LoadBalancer, NodePort), points elsewhere (ExternalName: an
# ingress controller then proxies to any host) or claims external
# addresses (externalIPs: it intercepts every pod's traffic to them,
# CVE-2020-8554), and a Secret that mints a token for a service account
# (kubernetes.io/service-account-token). A type the rules cannot read is
# not harmless. List the kind in allowed_kinds to accept these shapes.
harmful_shape contains [m, sprintf("a Service of type %s", [lib.printable(t)])] if {
	some m in objects
	m.kind == "Service"
	some t in member_ci(object.get(m, "spec", {}), "type")
	not t in {null, "ClusterIP"}
}

harmful_shape contains [m, sprintf("a Service with externalIPs %s", [lib.printable(ips)])] if {
	some m in objects
	m.kind == "Service"
	ips := object.get(m, ["spec", "externalIPs"], null)
	not ips in {null, []}
}

harmful_shape contains [m, sprintf("a Secret of type %q", [t])] if {
	some m in objects
	m.kind == "Secret"
	some t in member_ci(m, "type")
	t == "kubernetes.io/service-account-token"
}

# A bootstrap token Secret (type bootstrap.kubernetes.io/token, read from
# kube-system) is a bearer token the API server accepts: it
# authenticates as system:bootstrappers (plus its auth-extra-groups),
# which kubeadm lets create node certificate requests that are approved
# on their own: a node's credentials for whoever wrote the Secret
# (Kubernetes "Authenticating with Bootstrap Tokens").
harmful_shape contains [m, sprintf("a Secret of type %q", [t])] if {
	some m in objects
	m.kind == "Secret"
	some t in member_ci(m, "type")
	t == "bootstrap.kubernetes.io/token"
}

# An Ingress whose annotations carry a configuration snippet
# (nginx.ingress.kubernetes.io/server-snippet, configuration-snippet,
# auth-snippet, and the like of other controllers) writes raw proxy
# configuration into the controller, which holds every Secret the
# controller can read (CVE-2021-25742, CVE-2023-5044).
harmful_shape contains [m, sprintf("an Ingress with the configuration snippet annotation %q", [k])] if {
	some m in objects
	m.kind == "Ingress"
	annotations := object.get(m, ["metadata", "annotations"], {})
	is_object(annotations)
	some k, _ in annotations
	contains(lower(k), "snippet")
}

# ingress-nginx writes many other annotations' values into nginx.conf
# as they are: one that holds a line break, ";", a brace or a quote
# ends the directive and adds the writer's own (CVE-2023-5044
# permanent-redirect, and IngressNightmare: CVE-2025-24514 auth-url,
# CVE-2025-1097 auth-tls-match-cn, CVE-2025-1098 mirror-target and
# mirror-host), which runs in the controller with every Secret it can
# read. These are the characters ingress-nginx's own
# annotation-value-word-blocklist is advised to refuse (and a backslash,
# an escape inside nginx's quoted strings); no URL, header list or path
# an ingress-nginx annotation legitimately takes needs them. It applies
# to ingress-nginx's annotations (nginx.ingress.kubernetes.io/, in any
# case); other controllers' annotations (the AWS load balancer
# controller's JSON actions, nginx.org/rewrites' ";" lists) are not
# written into its configuration. List Ingress in allowed_kinds to
# accept them.
harmful_shape contains [m, sprintf("an Ingress whose ingress-nginx annotation %q holds nginx configuration syntax (a line break, ';', a brace, a quote or a backslash)", [k])] if {
	some m in objects
	m.kind == "Ingress"
	annotations := object.get(m, ["metadata", "annotations"], {})
	is_object(annotations)
	some k, val in annotations
	lower(split(k, "/")[0]) == "nginx.ingress.kubernetes.io"
	not nginx_plain_value(val)
}

nginx_plain_value(val) if {
	is_string(val)
	not regex.match("[\\r\\n;{}'\"\\\\]", val)
}

# ingress-nginx's enable-global-auth annotation other than "true" takes
# the Ingress out of the authentication the controller's global-auth-url
# imposes on every Ingress, and enable-modsecurity or
# enable-owasp-core-rules other than "true" out of the web application
# firewall (ModSecurity, the OWASP Core Rule Set) its ConfigMap turns on
# for every Ingress: a deploy would publish its host without the check
# the cluster's administrator put in front of all of them. The name is
# compared without case. List Ingress in allowed_kinds to accept it.
harmful_shape contains [m, sprintf("an Ingress whose annotation %q is %s, opting out of the controller's %s", [k, lib.printable(val), what])] if {
	some m in objects
	m.kind == "Ingress"
	annotations := object.get(m, ["metadata", "annotations"], {})
	is_object(annotations)
	some k, val in annotations
	what := nginx_opt_outs[lower(k)]
	val != "true"
}

nginx_opt_outs := {
	"nginx.ingress.kubernetes.io/enable-global-auth": "global authentication",
	"nginx.ingress.kubernetes.io/enable-modsecurity": "ModSecurity web application firewall",
	"nginx.ingress.kubernetes.io/enable-owasp-core-rules": "OWASP Core Rule Set",
}

# ingress-nginx's whitelist-source-range (allowlist-source-range) and
# denylist-source-range write allow and deny rules into the Ingress's
# location, and nginx's access module then ignores the rules of the http
# level, where the controller ConfigMap's block-cidrs are: an Ingress
# allowing 0.0.0.0/0, or denying one address, lifts the administrator's
# block list from its host, as enable-global-auth "false" lifts global
# authentication. Names are compared without case, and any value is
# denied unless allow_ingress_source_ranges; list Ingress in
# allowed_kinds to accept it too.
harmful_shape contains [m, sprintf("an Ingress whose annotation %q replaces the controller's block-cidrs with its own source ranges (kubernetes.allow_ingress_source_ranges)", [k])] if {
	not allow_ingress_source_ranges
	some m in objects
	m.kind == "Ingress"
	annotations := object.get(m, ["metadata", "annotations"], {})
	is_object(annotations)
	some k, _ in annotations
	lower(k) in nginx_source_ranges
}

nginx_source_ranges := {
	"nginx.ingress.kubernetes.io/whitelist-source-range",
	"nginx.ingress.kubernetes.io/allowlist-source-range",
	"nginx.ingress.kubernetes.io/denylist-source-range",
}

allow_ingress_source_ranges := lib.config("kubernetes", "allow_ingress_source_ranges", false) == true

# The controller ConfigMap's whitelist-source-range and
# denylist-source-range are every Ingress's default source ranges, and
# block-cidrs, block-user-agents and block-referers the administrator's
# block lists for every Ingress: a ConfigMap that sets one (to
# 0.0.0.0/0, or to "", which empties it) replaces the administrator's, as
# the Ingress annotations do for one host. Any value of any of them, in
# any ConfigMap (the controller reads whichever its --configmap flag
# names), keys folded as the controller's decoder folds them, is denied
# unless allow_ingress_source_ranges; list ConfigMap in allowed_kinds to
# accept it too. A ConfigMap that leaves one out cannot be told from
# another ConfigMap: what the live one held is not in the request.
harmful_shape contains [m, sprintf("a ConfigMap whose ingress-nginx %q replaces the controller's source ranges or block lists (kubernetes.allow_ingress_source_ranges)", [k])] if {
	not allow_ingress_source_ranges
	some m in objects
	m.kind == "ConfigMap"
	settings := object.get(m, "data", {})
	is_object(settings)
	some k, _ in settings
	fold(k) in nginx_configmap_source_ranges
}

nginx_configmap_source_ranges := {
	"whitelist-source-range", "allowlist-source-range", "denylist-source-range",
	"block-cidrs", "block-user-agents", "block-referers",
}

# ingress-nginx's satisfy "any" has nginx admit a request that passes
# either its access rules (the Ingress's source ranges, the controller's
# whitelist-source-range and block-cidrs) or its authentication
# (auth-url, basic auth, global auth): a client from an allowed range
# skips the authentication, an authenticated one from a blocked range
# passes. Only "all" (nginx's default; ingress-nginx ignores other
# values, which are denied anyway) is harmless; the name is compared
# without case. List Ingress in allowed_kinds to accept it.
harmful_shape contains [m, sprintf("an Ingress whose annotation %q is %s: authentication or the source ranges, not both, admit a request", [k, lib.printable(val)])] if {
	some m in objects
	m.kind == "Ingress"
	annotations := object.get(m, ["metadata", "annotations"], {})
	is_object(annotations)
	some k, val in annotations
	lower(k) == "nginx.ingress.kubernetes.io/satisfy"
	val != "all"
}

# ingress-nginx's auth-url has the controller itself send a subrequest,
# with the client's headers and cookies, for every request to the
# Ingress (auth-response-headers copies the answer's headers upstream,
# where the Ingress's author reads them), and mirror-target a copy of
# every request: from the controller's network, past the NetworkPolicies
# that confine the author's own pods, to any URL the author names,
# another namespace's Service or the cloud metadata service
# (169.254.169.254) included. Each such annotation (the name compared
# without case, so every spelling is judged) must hold, exactly, a URL
# allowed_ingress_urls lists. auth-signin and the redirects send only
# the client's browser elsewhere, and mirror-host, upstream-vhost and
# proxy-ssl-name name only the Host or TLS name of a connection the
# controller already makes. List Ingress in allowed_kinds to accept any.
harmful_shape contains [m, sprintf("an Ingress whose annotation %q has ingress-nginx connect to %s, which kubernetes.allowed_ingress_urls does not list", [k, lib.printable(val)])] if {
	some m in objects
	m.kind == "Ingress"
	annotations := object.get(m, ["metadata", "annotations"], {})
	is_object(annotations)
	some k, val in annotations
	lower(k) in {"nginx.ingress.kubernetes.io/auth-url", "nginx.ingress.kubernetes.io/mirror-target"}
	not val in allowed_ingress_urls
}

allowed_ingress_urls := {u | some u in lib.config("kubernetes", "allowed_ingress_urls", []); is_string(u)}

# Traefik's Middleware (traefik.io, traefik.containo.us) with forwardAuth
# has Traefik itself send, for every request to each route that uses it,
# the client's headers and cookies to the address it names
# (authResponseHeaders copies the answer's headers upstream), from
# Traefik's network, past the NetworkPolicies that confine the author's
# pods: ingress-nginx's auth-url under another name. A Middleware is an
# unknown kind unless allowed_kinds lists it, and listed, it is still
# judged: each forwardAuth (its members read without case, as Go's
# decoder reads them) must hold an address, exactly one
# allowed_ingress_urls lists.
violations contains v if {
	some m in objects
	is_object(m)
	m.kind == "Middleware"
	in_group(m, {"traefik.io", "traefik.containo.us"})
	some why in traefik_forward_auth_findings(m)
	v := {
		"rule": "kubernetes.traefik",
		"message": sprintf("%s: %s", [label(m), why]),
		"value": m.kind,
	}
}

traefik_forward_auth_findings(m) := {why |
	walk(m, [path, fa])
	count(path) > 0
	last := path[count(path) - 1]
	is_string(last)
	fold(last) == "forwardauth"
	some why in traefik_forward_auth_why(path, fa)
}

traefik_forward_auth_why(path, fa) := {sprintf("forwardAuth at %s names no address", [lib.printable(path)])} if {
	count(traefik_addresses(fa)) == 0
}

else := {why |
	some a in traefik_addresses(fa)
	not a in allowed_ingress_urls
	why := sprintf("forwardAuth at %s has Traefik send every request's headers to %s, which kubernetes.allowed_ingress_urls does not list", [lib.printable(path), lib.printable(a)])
}

traefik_addresses(fa) := [a |
	is_object(fa)
	some k, a in fa
	is_string(k)
	fold(k) == "address"
]

# ingress-nginx writes each path of an Ingress's rules
# (spec.rules[].http.paths[].path) into nginx.conf as a location, bare
# unless it is a regex: a path that holds whitespace, a control, ";",
# a brace, a quote or a backslash ends the location and opens the
# writer's own, which reads the controller's service account token
# (CVE-2021-25745, CVE-2021-25748: a line break). The API server checks
# only that a path of type ImplementationSpecific starts with "/" (and
# older ones only that it compiles as a regex). No URL path needs these
# characters unescaped; every member named path under spec is judged,
# whatever shape holds it. List Ingress in allowed_kinds to accept them.
harmful_shape contains [m, sprintf("an Ingress whose path %s holds nginx configuration syntax (whitespace, a control, ';', a brace, a quote or a backslash)", [lib.printable(p)])] if {
	some m in objects
	m.kind == "Ingress"
	walk(object.get(m, "spec", {}), [path, p])
	count(path) > 0
	path[count(path) - 1] == "path"
	not nginx_plain_path(p)
}

nginx_plain_path(p) if {
	is_string(p)
	not regex.match("[\\x00-\\x20\\x7f;{}'\"\\\\]", p)
}

harmful_shape contains [m, "an Ingress whose annotations are not an object"] if {
	some m in objects
	m.kind == "Ingress"
	not is_object(object.get(m, ["metadata", "annotations"], {}))
}

# A NetworkPolicy only ever adds to what reaches the pods it selects: a
# rule with no peers (no from or to, or an empty list) admits every
# address, inside the cluster and out, as does an ipBlock of a /0 (or
# one the rules cannot read), so it lifts whatever isolation other
# policies give those pods. Rules that name pods, namespaces or narrower
# address blocks are harmless.
harmful_shape contains [m, why] if {
	some m in objects
	m.kind == "NetworkPolicy"
	some dir, key in {"ingress": "from", "egress": "to"}
	some why in open_policy_rules(m, dir, key)
}

open_policy_rules(m, dir, key) := {sprintf("a NetworkPolicy whose %s is not a list", [dir])} if {
	not is_array(object.get(m, ["spec", dir], []))
} else := {sprintf("a NetworkPolicy whose %s rule %d admits every address", [dir, i]) |
	some i, rule in object.get(m, ["spec", dir], [])
	not narrow_rule(rule, key)
}

narrow_rule(rule, key) if {
	is_object(rule)
	peers := object.get(rule, key, [])
	is_array(peers)
	count(peers) > 0
	every p in peers {
		narrow_peer(p)
	}
}

narrow_peer(p) if {
	is_object(p)
	count(p) > 0
	not "ipBlock" in object.keys(p)
}

# An ipBlock is narrow when its CIDR is valid and not the world in any
# spelling (lib.open_cidrs: "::ffff:0.0.0.0/96" is every IPv4 address).
narrow_peer(p) if {
	is_object(p)
	cidr := object.get(p, ["ipBlock", "cidr"], null)
	is_string(cidr)
	net.cidr_is_valid(cidr)
	to_number(split(cidr, "/")[1]) > 0
	not lib.open_cidrs([cidr])
}

# Peers and rules add up (a pod admits what any rule of any policy that
# selects it admits), so narrow ipBlocks that together cover the world
# (0.0.0.0/1 beside 128.0.0.0/1, in one rule, two rules or two policies)
# admit every address as one /0 would. Which pods each policy selects
# is not compared: the ipBlocks of every NetworkPolicy in the request
# are merged per direction, and each policy contributing one is denied.
harmful_shape contains [m, sprintf("a NetworkPolicy whose %s ipBlocks, with those of the request's other NetworkPolicies, cover every address: %s", [dir, lib.printable(cidrs)])] if {
	some dir, key in {"ingress": "from", "egress": "to"}
	blocks := [[np, cidr] |
		some np in objects
		np.kind == "NetworkPolicy"
		some cidr in policy_cidrs(np, dir, key)
	]
	cidrs := [cidr | some [_, cidr] in blocks]
	lib.open_cidrs(cidrs)
	some [m, _] in blocks
}

# policy_cidrs are the valid ipBlock CIDRs of m's rules in dir.
policy_cidrs(m, dir, key) := [cidr |
	rules := object.get(m, ["spec", dir], [])
	is_array(rules)
	some rule in rules
	is_object(rule)
	peers := object.get(rule, key, [])
	is_array(peers)
	some p in peers
	is_object(p)
	cidr := object.get(p, ["ipBlock", "cidr"], null)
	is_string(cidr)
	net.cidr_is_valid(cidr)
]

# member_ci are the values of x's members named key in any case ("type",
# "Type": a case-insensitive decoder reads either); a spec that is not an
# object yields a value that is not harmless.
member_ci(x, key) := {val | some k, val in x; lower(k) == key} if is_object(x)

else := {x}

violations contains v if {
	some [m, why] in harmful_shape
	harmless_in_group(m)
	not m.kind in extra_kinds
	v := {
		"rule": "kubernetes.unknown_kind",
		"message": sprintf("%s: %s is not a harmless %s; add %s to kubernetes.allowed_kinds to accept it", [label(m), why, m.kind, m.kind]),
		"value": m.kind,
	}
}

# The "kube-" namespaces are the control plane's (Kubernetes reserves the
# prefix): kube-system's service accounts are its controllers', which a
# pod there may run as (clusterrole-aggregation-controller can grant
# itself any permission), its ConfigMaps configure the cluster (EKS's
# aws-auth maps IAM roles to system:masters, coredns answers every pod's
# DNS), its Secrets include bootstrap tokens, and kube-public's
# cluster-info is what joining nodes trust. An object of any kind, however
# harmless elsewhere, is denied there; the cluster's own components are
# not deployed through this gate (most need host access the rules deny
# anyway).
violations contains v if {
	some m in objects
	is_object(m)
	ns := object.get(m, ["metadata", "namespace"], null)
	is_string(ns)
	startswith(ns, "kube-")
	v := {
		"rule": "kubernetes.system_namespace",
		"message": sprintf("%s is in namespace %q, one of the control plane's kube- namespaces, where no object is harmless", [label(m), ns]),
		"value": ns,
	}
}

# A workload kind's pod spec must be where the kind puts it.
violations contains v if {
	some m in objects
	path := workloads[m.kind]
	not is_object(object.get(m, path, null))
	v := {
		"rule": "kubernetes.malformed",
		"message": sprintf("%s has no pod spec at %s", [label(m), concat(".", path)]),
		"value": name(m),
	}
}

# pod_specs are [manifest, spec] for every object inside a manifest (the
# manifest itself included) that has a container list member.
pod_specs contains [m, spec] if {
	some m in objects
	is_object(m)
	walk(m, [_, spec])
	is_object(spec)
	some f in container_fields
	f in object.keys(spec)
}

# Pod specs must hold lists of container objects, and a workload needs at
# least one container.
violations contains v if {
	some [m, spec] in pod_specs
	some f in container_fields
	f in object.keys(spec)
	not list_of_objects(spec[f])
	v := {"rule": "kubernetes.malformed", "message": sprintf("%s: %s must be a list of container objects", [label(m), f]), "value": name(m)}
}

violations contains v if {
	some m in objects
	path := workloads[m.kind]
	spec := object.get(m, path, null)
	is_object(spec)
	not non_empty_list(object.get(spec, "containers", null))
	v := {"rule": "kubernetes.malformed", "message": sprintf("%s has no containers", [label(m)]), "value": name(m)}
}

non_empty_list(xs) if {
	is_array(xs)
	count(xs) > 0
}

containers contains [m, spec, c] if {
	some [m, spec] in pod_specs
	some f in container_fields
	some c in object.get(spec, f, [])
	is_object(c)
}

violations contains v if {
	some [m, _, c] in containers
	not lib.absent_or_false(c, ["securityContext", "privileged"])
	v := {
		"rule": "kubernetes.privileged",
		"message": sprintf("container %s in %s runs privileged (securityContext.privileged is %s)", [lib.printable(lib.show(c, "name")), label(m), lib.printable(c.securityContext.privileged)]),
		"value": object.get(c, "name", null),
	}
}

# allowPrivilegeEscalation must be false: unset, the kernel's
# no_new_privs is not set and a setuid binary can escalate.
violations contains v if {
	some [m, _, c] in containers
	object.get(c, ["securityContext", "allowPrivilegeEscalation"], null) != false
	v := {
		"rule": "kubernetes.privilege_escalation",
		"message": sprintf("container %s in %s allows privilege escalation", [lib.printable(lib.show(c, "name")), label(m)]),
		"value": object.get(c, "name", null),
	}
}

violations contains v if {
	some [m, _, c] in containers
	add := object.get(c, ["securityContext", "capabilities", "add"], [])
	some cap in cap_list(add)
	not baseline_cap(cap)
	v := {
		"rule": "kubernetes.capabilities",
		"message": sprintf("container %s in %s adds capability %s, which is not in the baseline set", [lib.printable(lib.show(c, "name")), label(m), lib.printable(cap)]),
		"value": cap,
	}
}

# cap_list is add itself when it is a list; anything else is one bad entry.
cap_list(add) := add if is_array(add)

else := [add]

baseline_cap(cap) if {
	is_string(cap)
	trim_prefix(upper(cap), "CAP_") in baseline_caps
}

# procMount must be absent, null or "Default": "Unmasked" exposes the
# host's /proc to the container (Pod Security baseline forbids it).
violations contains v if {
	some [m, _, c] in containers
	not object.get(c, ["securityContext", "procMount"], null) in {null, "Default"}
	v := {
		"rule": "kubernetes.proc_mount",
		"message": sprintf("container %s in %s sets securityContext.procMount %s; only Default is allowed", [lib.printable(lib.show(c, "name")), label(m), lib.printable(c.securityContext.procMount)]),
		"value": object.get(c, "name", null),
	}
}

# The rest of the Pod Security baseline's confinement: a seccomp or
# AppArmor profile must be RuntimeDefault or Localhost (Unconfined lifts
# the syscall and LSM filters a container escape relies on), and SELinux
# options may set no user or role and only a container type (spc_t runs
# unconfined). A profile of another shape, with a member the rules do not
# know ("Type"), is not confined.
security_contexts contains [m, sprintf("pod %s", [label(m)]), sc] if {
	some [m, spec] in pod_specs
	sc := object.get(spec, "securityContext", {})
	is_object(sc)
}

security_contexts contains [m, sprintf("container %s in %s", [lib.printable(lib.show(c, "name")), label(m)]), sc] if {
	some [m, _, c] in containers
	sc := object.get(c, "securityContext", {})
	is_object(sc)
}

violations contains v if {
	some [m, where, sc] in security_contexts
	some field in ["seccompProfile", "appArmorProfile", "seLinuxOptions"]
	field in object.keys(sc)
	sc[field] != null
	not confined(field, sc[field])
	v := {
		"rule": "kubernetes.privileged",
		"message": sprintf("%s sets securityContext.%s %s, which the Pod Security baseline forbids", [where, field, lib.printable(sc[field])]),
		"value": field,
	}
}

confined(field, p) if {
	field in {"seccompProfile", "appArmorProfile"}
	is_object(p)
	every k in object.keys(p) {
		k in {"type", "localhostProfile"}
	}
	object.get(p, "type", null) in {"RuntimeDefault", "Localhost"}
}

confined("seLinuxOptions", o) if {
	is_object(o)
	every k, x in o {
		selinux_member_ok(k, x)
	}
}

selinux_member_ok("level", _)

selinux_member_ok("type", t) if t in {null, "", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}

selinux_member_ok(k, x) if {
	k in {"user", "role"}
	x in {null, ""}
}

# The annotations older clusters read the profiles from (seccomp's
# alpha annotations, AppArmor's beta ones) are judged the same way,
# wherever object metadata holds them (a pod template's included).
violations contains v if {
	some m in objects
	is_object(m)
	walk(m, [path, annotations])
	count(path) >= 2
	array.slice(path, count(path) - 2, count(path)) == ["metadata", "annotations"]
	is_object(annotations)
	some k, val in annotations
	confinement_annotation(k)
	not confined_annotation(k, val)
	v := {
		"rule": "kubernetes.privileged",
		"message": sprintf("%s: annotation %q is %s; only runtime/default or a localhost/ profile confines the container", [label(m), k, lib.printable(val)]),
		"value": k,
	}
}

confinement_annotation(k) if k == "seccomp.security.alpha.kubernetes.io/pod"

confinement_annotation(k) if startswith(k, "container.seccomp.security.alpha.kubernetes.io/")

confinement_annotation(k) if startswith(k, "container.apparmor.security.beta.kubernetes.io/")

confined_annotation(_, val) if val == "runtime/default"

confined_annotation(_, val) if {
	is_string(val)
	startswith(val, "localhost/")
}

confined_annotation(k, "docker/default") if not startswith(k, "container.apparmor.")

# safe_sysctls are the sysctls the Pod Security baseline allows: namespaced
# and isolated from the node and the node's other pods. Any other
# (kernel.core_pattern runs a program on the host) is denied.
safe_sysctls := {
	"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
	"net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
	"net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
	"net.ipv4.tcp_keepalive_probes", "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem",
}

violations contains v if {
	some [m, spec] in pod_specs
	sysctls := object.get(spec, ["securityContext", "sysctls"], [])
	not list_of_objects(sysctls)
	v := {"rule": "kubernetes.malformed", "message": sprintf("%s: securityContext.sysctls must be a list of objects", [label(m)]), "value": name(m)}
}

violations contains v if {
	some [m, spec] in pod_specs
	some s in object.get(spec, ["securityContext", "sysctls"], [])
	is_object(s)
	not safe_sysctl(object.get(s, "name", null))
	v := {
		"rule": "kubernetes.host_namespace",
		"message": sprintf("%s sets sysctl %s, which is not one the Pod Security baseline calls safe", [label(m), lib.printable(lib.show(s, "name"))]),
		"value": object.get(s, "name", null),
	}
}

# safe_sysctl: a safe sysctl's name, with "." or (as the kubelet also
# reads it) "/" separators.
safe_sysctl(n) if n in safe_sysctls

safe_sysctl(n) if {
	is_string(n)
	not contains(n, ".")
	replace(n, "/", ".") in safe_sysctls
}

violations contains v if {
	some [m, spec] in pod_specs
	some field in ["hostNetwork", "hostPID", "hostIPC"]
	not lib.absent_or_false(spec, field)
	v := {
		"rule": "kubernetes.host_namespace",
		"message": sprintf("%s sets %s", [label(m), field]),
		"value": field,
	}
}

violations contains v if {
	some [m, spec] in pod_specs
	not lib.absent_or_false(spec, ["securityContext", "windowsOptions", "hostProcess"])
	v := {
		"rule": "kubernetes.host_namespace",
		"message": sprintf("%s runs Windows host processes", [label(m)]),
		"value": "hostProcess",
	}
}

violations contains v if {
	some [m, _, c] in containers
	not lib.absent_or_false(c, ["securityContext", "windowsOptions", "hostProcess"])
	v := {
		"rule": "kubernetes.host_namespace",
		"message": sprintf("container %s in %s runs as a Windows host process", [lib.printable(lib.show(c, "name")), label(m)]),
		"value": "hostProcess",
	}
}

violations contains v if {
	some [m, spec] in pod_specs
	volumes := object.get(spec, "volumes", [])
	not list_of_objects(volumes)
	v := {"rule": "kubernetes.malformed", "message": sprintf("%s: volumes must be a list of objects", [label(m)]), "value": name(m)}
}

violations contains v if {
	some [m, spec] in pod_specs
	some vol in object.get(spec, "volumes", [])
	is_object(vol)
	object.get(vol, "hostPath", null) != null
	v := {
		"rule": "kubernetes.host_path",
		"message": sprintf("%s mounts hostPath volume %s", [label(m), lib.printable(lib.show(vol, "name"))]),
		"value": object.get(vol, "name", null),
	}
}

violations contains v if {
	some [m, _, c] in containers
	not list_of_objects(object.get(c, "ports", []))
	v := {"rule": "kubernetes.malformed", "message": sprintf("container %s in %s: ports must be a list of objects", [lib.printable(lib.show(c, "name")), label(m)]), "value": object.get(c, "name", null)}
}

violations contains v if {
	some [m, _, c] in containers
	some p in object.get(c, "ports", [])
	is_object(p)
	object.get(p, "hostPort", 0) != 0
	v := {
		"rule": "kubernetes.host_port",
		"message": sprintf("container %s in %s binds host port %s", [lib.printable(lib.show(c, "name")), label(m), lib.printable(p.hostPort)]),
		"value": p.hostPort,
	}
}

# A probe or lifecycle hook that names a host (httpGet.host,
# tcpSocket.host) has the kubelet connect to that host instead of the
# pod: from the node, on the node's network, to the cloud's metadata
# service or the node's own services. The Pod Security baseline forbids
# it from Kubernetes 1.34 (KEP-4940); only no host or "" (the pod's IP)
# is allowed.
probe_handlers := [["livenessProbe"], ["readinessProbe"], ["startupProbe"], ["lifecycle", "postStart"], ["lifecycle", "preStop"]]

violations contains v if {
	some [m, _, c] in containers
	some handler in probe_handlers
	some action in ["httpGet", "tcpSocket"]
	path := array.concat(handler, [action, "host"])
	host := object.get(c, path, null)
	not host in {null, ""}
	v := {
		"rule": "kubernetes.host_namespace",
		"message": sprintf("container %s in %s sets %s %s; the kubelet would connect to that host from the node, not to the pod", [lib.printable(lib.show(c, "name")), label(m), concat(".", path), lib.printable(host)]),
		"value": object.get(c, "name", null),
	}
}

violations contains v if {
	some [m, _, c] in containers
	not lib.pinned_digest(object.get(c, "image", ""))
	v := {
		"rule": "kubernetes.image_not_pinned",
		"message": sprintf("container %s in %s uses image %s, which is not pinned by digest", [lib.printable(lib.show(c, "name")), label(m), lib.printable(object.get(c, "image", "<missing>"))]),
		"value": object.get(c, "image", null),
	}
}

violations contains v if {
	count(allowed_images) > 0
	some [m, _, c] in containers
	not lib.allowed_image(object.get(c, "image", ""), allowed_images)
	v := {
		"rule": "kubernetes.image_not_allowed",
		"message": sprintf("container %s in %s uses image %s, which is not on the allow-list", [lib.printable(lib.show(c, "name")), label(m), lib.printable(object.get(c, "image", "<missing>"))]),
		"value": object.get(c, "image", null),
	}
}

# An image volume (volumes[].image, KEP-4639: beta from Kubernetes 1.33)
# pulls and mounts an OCI image's content like a container image: its
# reference is judged as one (pinned by digest, allow-listed). A volume
# whose image is not an object with a string reference is not pinned.
image_volumes contains [m, vol, ref] if {
	some [m, spec] in pod_specs
	some vol in object.get(spec, "volumes", [])
	is_object(vol)
	object.get(vol, "image", null) != null
	ref := image_reference(vol.image)
}

image_reference(img) := object.get(img, "reference", null) if is_object(img)

else := img

violations contains v if {
	some [m, vol, ref] in image_volumes
	not lib.pinned_digest(ref)
	v := {
		"rule": "kubernetes.image_not_pinned",
		"message": sprintf("image volume %s in %s uses image %s, which is not pinned by digest", [lib.printable(lib.show(vol, "name")), label(m), lib.printable(ref)]),
		"value": ref,
	}
}

violations contains v if {
	count(allowed_images) > 0
	some [m, vol, ref] in image_volumes
	not lib.allowed_image(ref, allowed_images)
	v := {
		"rule": "kubernetes.image_not_allowed",
		"message": sprintf("image volume %s in %s uses image %s, which is not on the allow-list", [lib.printable(lib.show(vol, "name")), label(m), lib.printable(ref)]),
		"value": ref,
	}
}

# restricted_volume_types are the volume sources the Pod Security
# restricted profile allows: the cluster's own objects (configMap,
# secret, downwardAPI, projected), node-local scratch (emptyDir) and
# storage the cluster's administrator provisions (persistentVolumeClaim,
# ephemeral). Every other source (nfs, iscsi, rbd, cephfs, glusterfs,
# fc, flexVolume, portworxVolume, cloud disks...) has the kubelet mount,
# from the node and with the node's network and credentials, whatever
# server, disk or driver the pod's author names. An inline csi volume
# hands its attributes to the driver it names as the author wrote them
# (an NFS or SMB CSI driver mounts the share they name, a host-path
# driver a node directory): it is accepted only for a driver listed in
# allowed_csi_drivers. hostPath and gitRepo are denied by their own
# rules whatever the configuration; image volumes are judged as images.
restricted_volume_types := {"configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"}

own_rule_volume_types := {"hostPath", "gitRepo", "image"}

allowed_volume_types := {t | some t in lib.config("kubernetes", "allowed_volume_types", []); is_string(t)}

allowed_csi_drivers := {d | some d in lib.config("kubernetes", "allowed_csi_drivers", []); is_string(d)}

# A member of a volume that is not its name nor an accepted source,
# in any case ("NFS", or "ConfigMap", which a case-insensitive decoder
# reads as configMap), is denied: the rules cannot vouch for what it
# mounts. A null member is unset.
violations contains v if {
	some [m, spec] in pod_specs
	some vol in object.get(spec, "volumes", [])
	is_object(vol)
	some k, x in vol
	x != null
	not accepted_volume_member(k)
	v := {
		"rule": "kubernetes.volume_type",
		"message": sprintf("%s mounts volume %s of type %s, which the Pod Security restricted profile does not allow: the node mounts it from a source the pod names; add it to kubernetes.allowed_volume_types if it is safe here", [label(m), lib.printable(lib.show(vol, "name")), lib.printable(k)]),
		"value": k,
	}
}

accepted_volume_member("name")

accepted_volume_member(k) if k in restricted_volume_types

accepted_volume_member(k) if k in own_rule_volume_types

accepted_volume_member(k) if k in allowed_volume_types

violations contains v if {
	some [m, spec] in pod_specs
	some vol in object.get(spec, "volumes", [])
	is_object(vol)
	object.get(vol, "csi", null) != null
	driver := csi_driver(vol.csi)
	not driver in allowed_csi_drivers
	v := {
		"rule": "kubernetes.volume_type",
		"message": sprintf("%s mounts inline csi volume %s of driver %s, which is not in kubernetes.allowed_csi_drivers", [label(m), lib.printable(lib.show(vol, "name")), lib.printable(driver)]),
		"value": driver,
	}
}

csi_driver(csi) := object.get(csi, "driver", null) if is_object(csi)

else := null

# A claim that names its volume (spec.volumeName) or selects volumes by
# label (spec.selector) binds a PersistentVolume that already exists
# instead of one provisioned for it: whichever the author picks, a
# hostPath or local volume, or an NFS export an administrator made for
# another workload. A claim template does the same for each pod: a
# generic ephemeral volume's (volumes[].ephemeral.volumeClaimTemplate)
# and a StatefulSet's (spec.volumeClaimTemplates[]), wherever they appear,
# are denied (kubernetes.volume_type); a PersistentVolumeClaim is not
# harmless (list it in allowed_kinds to accept one).
claim_binds(spec) := {k |
	some k in ["volumeName", "selector"]
	not object.get(spec, k, null) in {null, ""}
} if is_object(spec)

else := {"a spec that is not an object"}

claim_templates contains [m, path, spec] if {
	some m in objects
	is_object(m)
	walk(m, [path, spec])
	claim_template_path(path)
}

claim_template_path(path) if {
	count(path) >= 2
	array.slice(path, count(path) - 2, count(path)) == ["volumeClaimTemplate", "spec"]
}

claim_template_path(path) if {
	count(path) >= 3
	path[count(path) - 3] == "volumeClaimTemplates"
	path[count(path) - 1] == "spec"
}

violations contains v if {
	some [m, path, spec] in claim_templates
	some k in claim_binds(spec)
	v := {
		"rule": "kubernetes.volume_type",
		"message": sprintf("%s: the claim template at %s binds an existing PersistentVolume instead of a provisioned one (%s)", [label(m), lib.printable(path), k]),
		"value": k,
	}
}

harmful_shape contains [m, sprintf("a PersistentVolumeClaim that binds an existing PersistentVolume (%s)", [k])] if {
	some m in objects
	m.kind == "PersistentVolumeClaim"
	some k in claim_binds(object.get(m, "spec", {}))
}

# A ConfigMap that configures a cluster-wide controller changes what the
# controller lets every namespace do. ingress-nginx reads its settings
# from whichever ConfigMap its --configmap flag names, so it is known by
# its keys, not its name: allow-snippet-annotations other than "false"
# or annotations-risk-level Critical lets any Ingress write raw nginx
# configuration (CVE-2021-25742), and a *-snippet key writes it itself,
# into a controller that reads every Secret. Keys are compared without
# case, as the controller's decoder compares them. Argo CD reads its
# settings and RBAC from ConfigMaps of fixed names in its own namespace
# (argocd-rbac-cm's policy.default: role:admin makes every user an
# admin), so they are known by name, in any namespace. List ConfigMap in
# allowed_kinds to accept these.
harmful_shape contains [m, sprintf("a ConfigMap that sets ingress-nginx's %q to %s", [k, lib.printable(val)])] if {
	some m in objects
	m.kind == "ConfigMap"
	settings := object.get(m, "data", {})
	is_object(settings)
	some k, val in settings
	not nginx_setting_safe(fold(k), val)
}

nginx_setting_safe(k, _) if {
	not k in {"annotations-risk-level"}
	not nginx_setting_safe_values[k]
	not endswith(k, "snippet")
	not startswith(k, "global-auth-")
}

nginx_setting_safe(k, val) if val in nginx_setting_safe_values[k]

# nginx_setting_safe_values are the only values of these keys that loosen
# nothing. no-auth-locations exempts every location whose path starts
# with one of its entries from authentication (auth-url, basic auth,
# global auth: "/" exempts all; its default is the ACME challenge path);
# global-allowed-response-headers lets every Ingress's custom-headers set
# the response headers it names (Set-Cookie, Location...);
# proxy-set-headers and add-headers name a ConfigMap whose headers the
# controller adds to every request upstream (an X-Remote-User an
# upstream trusts) and every response; enable-modsecurity and
# enable-owasp-modsecurity-crs other than "true" turn the web application
# firewall off for every Ingress, as the Ingress annotations do for one.
nginx_setting_safe_values := {
	"allow-snippet-annotations": {"false"},
	"allow-cross-namespace-resources": {"false"},
	"strict-validate-path-type": {"true"},
	"no-auth-locations": {"", "/.well-known/acme-challenge"},
	"global-allowed-response-headers": {""},
	"proxy-set-headers": {""},
	"add-headers": {""},
	"enable-modsecurity": {"true"},
	"enable-owasp-modsecurity-crs": {"true"},
}

# global-auth-url has the controller send an authentication subrequest,
# with every client's headers and cookies, for every request to every
# Ingress, to whatever URL it names (an outside host collects them, an
# internal one is reached from the controller's network); the other
# global-auth- keys shape that subrequest. Empty, they are unset.
nginx_setting_safe(k, "") if startswith(k, "global-auth-")

# ingress-nginx 1.12 turned these on as security defaults (in
# nginx_setting_safe_values):
# allow-cross-namespace-resources other than "false" lets an Ingress's
# annotations (auth-tls-secret, proxy-ssl-secret, auth-secret...) name a
# Secret or ConfigMap of another namespace, another tenant's keys read
# into the controller; strict-validate-path-type other than "true" lifts
# the check that an Exact or Prefix path holds only plain characters.

nginx_setting_safe("annotations-risk-level", val) if {
	is_string(val)
	lower(val) in {"low", "medium", "high"}
}

# These keys name where the controller sends, for every Ingress that
# traces, logs or rate-limits (an Ingress's enable-opentelemetry
# annotation turns tracing on for it even when the ConfigMap does not),
# what it knows of each request: trace spans and access log lines with
# its path and query (the tokens a query carries), rate limit keys. The
# controller connects there itself, from its own network, to an outside
# collector or the metadata service as readily. Each must be unset ("")
# or, exactly, a value allowed_ingress_collectors lists (a host, or for
# jaeger-endpoint and jaeger-sampler-host a URL). They are
# ingress-nginx's own names, judged in any ConfigMap and without case as
# the keys above are: the controller reads whichever ConfigMap its
# --configmap flag names, and kubectl apply merges a ConfigMap's keys
# into the live one's, so neither its name nor its other keys tell the
# controller's ConfigMap apart. Another ConfigMap with a key of the same
# name (an application's syslog-host) is denied too: list its value, or
# name the key otherwise.
harmful_shape contains [m, sprintf("a ConfigMap that has ingress-nginx send what it knows of every request to %s (%q), which kubernetes.allowed_ingress_collectors does not list", [lib.printable(val), k])] if {
	some m in objects
	m.kind == "ConfigMap"
	settings := object.get(m, "data", {})
	is_object(settings)
	some k, val in settings
	fold(k) in nginx_collector_keys
	val != ""
	not val in allowed_ingress_collectors
}

nginx_collector_keys := {
	"otlp-collector-host", "zipkin-collector-host", "jaeger-collector-host", "jaeger-endpoint",
	"jaeger-sampler-host", "datadog-collector-host", "syslog-host", "global-rate-limit-memcached-host",
}

allowed_ingress_collectors := {h | some h in lib.config("kubernetes", "allowed_ingress_collectors", []); is_string(h)}

# ingress-nginx takes each client's address ($remote_addr, which an
# Ingress's whitelist-source-range and denylist-source-range, the
# ConfigMap's block-cidrs and whitelist-source-range, and rate limits
# judge) from the TCP peer, unless use-forwarded-headers, enable-real-ip
# or use-proxy-protocol turns on nginx's realip module: then it takes it
# from the header forwarded-for-header names (X-Forwarded-For) or the
# PROXY protocol line, as sent by any peer proxy-real-ip-cidr lists, and
# that defaults to 0.0.0.0/0. A client then names its own address and
# walks past every source-range check. compute-full-forwarded-for passes
# the client's own X-Forwarded-For entries on to every upstream. Each of
# these switches other than false ("", "0", "f", "false" in ParseBool's
# spellings) needs a proxy-real-ip-cidr in the same ConfigMap; every
# entry of a proxy-real-ip-cidr (comma-separated, spaces trimmed) and a
# forwarded-for-header other than X-Forwarded-For must be, exactly, a
# value allowed_ingress_real_ip lists (the load balancers' ranges, the
# header they set). Keys are compared without case, in any ConfigMap,
# as the keys above are.
harmful_shape contains [m, why] if {
	some m in objects
	m.kind == "ConfigMap"
	settings := object.get(m, "data", {})
	is_object(settings)
	some why in nginx_real_ip_findings(settings)
}

nginx_real_ip_switches := {"use-forwarded-headers", "enable-real-ip", "use-proxy-protocol", "compute-full-forwarded-for"}

nginx_false(val) if val in {"", "0", "f", "F", "false", "FALSE", "False"}

nginx_real_ip_findings(settings) := ({why |
	some k, val in settings
	fold(k) in nginx_real_ip_switches
	not nginx_false(val)
	not nginx_real_ip_trusts_listed(settings)
	why := sprintf("a ConfigMap that sets ingress-nginx's %q to %s, taking each client's address from what the client sends, without a proxy-real-ip-cidr that kubernetes.allowed_ingress_real_ip lists", [k, lib.printable(val)])
} | {why |
	some k, val in settings
	fold(k) == "proxy-real-ip-cidr"
	some c in nginx_cidr_entries(val)
	not c in allowed_ingress_real_ip
	why := sprintf("a ConfigMap whose ingress-nginx %q trusts %s to name each client's address, which kubernetes.allowed_ingress_real_ip does not list", [k, lib.printable(c)])
}) | {why |
	some k, val in settings
	fold(k) == "forwarded-for-header"
	not nginx_forwarded_for_ok(val)
	why := sprintf("a ConfigMap whose ingress-nginx %q takes each client's address from header %s, which kubernetes.allowed_ingress_real_ip does not list", [k, lib.printable(val)])
}

# nginx_real_ip_trusts_listed: the ConfigMap names a proxy-real-ip-cidr
# with at least one entry (the others' entries are judged on their own).
nginx_real_ip_trusts_listed(settings) if {
	some k, val in settings
	fold(k) == "proxy-real-ip-cidr"
	count(nginx_cidr_entries(val)) > 0
}

nginx_cidr_entries(val) := {c |
	some part in split(val, ",")
	c := trim_space(part)
	c != ""
} if is_string(val)

else := {val}

nginx_forwarded_for_ok("")

nginx_forwarded_for_ok(val) if {
	is_string(val)
	lower(val) == "x-forwarded-for"
}

nginx_forwarded_for_ok(val) if val in allowed_ingress_real_ip

allowed_ingress_real_ip := {x | some x in lib.config("kubernetes", "allowed_ingress_real_ip", []); is_string(x)}

harmful_shape contains [m, sprintf("Argo CD's settings ConfigMap %q", [n])] if {
	some m in objects
	m.kind == "ConfigMap"
	n := object.get(m, ["metadata", "name"], null)
	n in {"argocd-cm", "argocd-rbac-cm", "argocd-cmd-params-cm", "argocd-tls-certs-cm", "argocd-ssh-known-hosts-cm", "argocd-gpg-keys-cm"}
}

# Argo CD reads clusters and repositories from every Secret in its
# namespace labelled argocd.argoproj.io/secret-type (cluster,
# repository, repo-creds, repository-write...): a Secret a deploy writes
# there registers a cluster that Argo CD then deploys to with the
# credentials it holds, or points a repository (and the credentials a
# repo-creds template lends it) at the writer's server. argocd-secret
# holds its admin password, signing key and webhook secrets. Label keys
# are case-sensitive to Argo CD's selector; any case is denied here,
# and any value, so a new secret type is not harmless by default. A
# Secret whose labels the rules cannot read is not harmless either. List
# Secret in allowed_kinds to accept these.
harmful_shape contains [m, sprintf("an Argo CD Secret (label %q: %s)", [k, lib.printable(val)])] if {
	some m in objects
	m.kind == "Secret"
	labels := object.get(m, ["metadata", "labels"], {})
	is_object(labels)
	some k, val in labels
	is_string(k)
	lower(k) == "argocd.argoproj.io/secret-type"
}

harmful_shape contains [m, "Argo CD's settings Secret \"argocd-secret\""] if {
	some m in objects
	m.kind == "Secret"
	object.get(m, ["metadata", "name"], null) == "argocd-secret"
}

# Argo CD's Application and ApplicationSet (argoproj.io) deploy what
# their sources name (spec.source(s).repoURL, a source hydrator's
# drySource) into the destination they name, with Argo CD's credentials,
# within what their project allows; the project "default" (which an
# empty project also means) allows every repository, cluster, namespace
# and kind unless an administrator narrowed it. Accepting one hands the
# deploy to a repository this gate never sees. Listed in allowed_kinds or
# not, each is denied unless its project (in an ApplicationSet, every
# template's) is in allowed_argocd_projects and every repoURL it holds
# (a Git generator's too) in allowed_argocd_repos, both compared exactly
# (a templated "{{.project}}" is not listed); no destination (nor a
# generator parameter) may be a control plane namespace
# (control_plane_namespaces), and an ApplicationSet may not carry a templatePatch,
# which rewrites any of these from its generators' parameters. An
# AppProject is the boundary the projects listed are trusted for: its
# sourceRepos must be in allowed_argocd_repos ("!" entries only narrow),
# its destinations and sourceNamespaces may hold no glob, its
# destinations no control plane namespace, its clusterResourceWhitelist
# may let Argo CD create only cluster-scoped kinds allowed_kinds lists, by name, and it must carry a
# namespaceResourceWhitelist naming only kinds this gate accepts itself
# (without one, or with an empty one, Argo CD creates every namespaced
# kind: a RoleBinding to cluster-admin, a Secret of any type). Empty
# lists: no Application, ApplicationSet or AppProject.
argocd_objects contains m if {
	some m in objects
	is_object(m)
	m.kind in {"Application", "ApplicationSet", "AppProject"}
	in_group(m, {"argoproj.io"})
}

allowed_argocd_projects := {p | some p in lib.config("kubernetes", "allowed_argocd_projects", []); is_string(p)}

allowed_argocd_repos := {r | some r in lib.config("kubernetes", "allowed_argocd_repos", []); is_string(r)}

violations contains v if {
	some m in argocd_objects
	some why in argocd_findings(m)
	v := {
		"rule": "kubernetes.argocd",
		"message": sprintf("%s: %s; Argo CD would deploy what this gate never judged", [label(m), why]),
		"value": m.kind,
	}
}

argocd_findings(m) := ((((((({why |
	some [path, p] in argocd_projects(m)
	not p in allowed_argocd_projects
	why := sprintf("project %s at %s is not in kubernetes.allowed_argocd_projects (an empty one is \"default\")", [lib.printable(p), lib.printable(path)])
} | {why |
	m.kind != "AppProject"
	walk(m, [path, url])
	count(path) > 0
	path[count(path) - 1] == "repoURL"
	not url in allowed_argocd_repos
	why := sprintf("repoURL %s at %s is not in kubernetes.allowed_argocd_repos", [lib.printable(url), lib.printable(path)])
}) | {why |
	m.kind != "AppProject"
	walk(m, [path, dest])
	count(path) > 0
	argocd_fold(path[count(path) - 1]) == "destination"
	is_object(dest)
	some k, ns in dest
	argocd_fold(k) == "namespace"
	argocd_control_plane_namespace(ns)
	why := sprintf("destination namespace %s at %s is one of the control plane's (kubernetes.control_plane_namespaces)", [lib.printable(ns), lib.printable(path)])
}) | {why |
	m.kind == "ApplicationSet"
	argocd_templated_namespace(m)
	walk(object.get(m, ["spec", "generators"], []), [path, ns])
	argocd_control_plane_namespace(ns)
	why := sprintf("generator parameter %s at spec.generators%s names a control plane namespace a templated destination may deploy to (kubernetes.control_plane_namespaces)", [lib.printable(ns), lib.printable(path)])
}) | {why |
	m.kind == "ApplicationSet"
	object.get(m, ["spec", "templatePatch"], null) != null
	why := "spec.templatePatch rewrites its Applications from the generators' parameters"
}) | {why |
	m.kind == "AppProject"
	some why in argocd_project_findings(object.get(m, "spec", {}))
}) | {why |
	m.kind != "AppProject"
	not allow_argocd_floating_revisions
	some why in argocd_floating(m)
}) | {why |
	m.kind != "AppProject"
	not allow_argocd_source_overrides
	some why in argocd_overrides(m)
}) | {why |
	m.kind != "AppProject"
	not "Namespace" in extra_kinds
	walk(m, [path, x])
	count(path) > 1
	path[0] != "metadata"
	argocd_fold(path[count(path) - 1]) == "managednamespacemetadata"
	x != null
	why := sprintf("%s at %s has Argo CD set the destination namespace's labels and annotations (pod-security.kubernetes.io/enforce: privileged), which only a Namespace kubernetes.allowed_kinds lists may", [lib.printable(path[count(path) - 1]), lib.printable(path)])
}

# argocd_templated_namespace: an ApplicationSet whose destination
# namespace (a template's, any case) is filled in from its generators'
# parameters ("{{.ns}}", "{{ns}}"): a list generator's element "argocd"
# then deploys into Argo CD's namespace. Parameters a cluster or Git
# generator reads when Argo CD runs it are not in the manifest.
argocd_templated_namespace(m) if {
	walk(m, [path, dest])
	count(path) > 0
	argocd_fold(path[count(path) - 1]) == "destination"
	is_object(dest)
	some k, ns in dest
	argocd_fold(k) == "namespace"
	is_string(ns)
	contains(ns, "{{")
}

# A syncPolicy's managedNamespaceMetadata (with CreateNamespace=true) has
# Argo CD write the labels and annotations it holds onto the destination
# namespace: pod-security.kubernetes.io/enforce: privileged lifts the
# Pod Security admission the cluster holds every pod there to. It is what
# a Namespace's metadata does, and a Namespace is not harmless: unless
# allowed_kinds lists Namespace, an Application or ApplicationSet (its
# templates, an operation's) may not carry one, in any case.

# A source's helm, kustomize, plugin and directory members are written in
# the Application, not the repository, and change what Argo CD renders
# from the pinned commit: helm values, valuesObject and parameters,
# kustomize patches, images and namespace, plugin env and parameters,
# jsonnet extVars and tlas swap in another image or patch in a
# privileged pod that this gate never judged. Unless
# allow_argocd_source_overrides, each (in every source outside
# metadata: spec.source(s), an ApplicationSet's templates, an
# operation's) may hold only the members that select what the repository
# holds (argocd_tool_members), helm valueFiles only paths (no "://": a
# remote file), and a jsonnet only libs.
allow_argocd_source_overrides := lib.config("kubernetes", "allow_argocd_source_overrides", false) == true

argocd_tool_members := {
	"helm": {"valueFiles", "ignoreMissingValueFiles", "releaseName", "version", "skipCrds", "skipSchemaValidation", "skipTests"},
	"kustomize": {"version"},
	"plugin": {"name"},
	"directory": {"recurse", "include", "exclude", "jsonnet"},
}

argocd_overrides(m) := ((({why |
	some [path, x] in argocd_tools(m)
	not is_object(x)
	why := sprintf("%s at %s is not an object (kubernetes.allow_argocd_source_overrides)", [path[count(path) - 1], lib.printable(path)])
} | {why |
	some [path, x] in argocd_tools(m)
	is_object(x)
	some k, _ in x
	not k in argocd_tool_members[argocd_fold(path[count(path) - 1])]
	why := sprintf("%s at %s changes what Argo CD renders from the repository (kubernetes.allow_argocd_source_overrides)", [lib.printable(k), lib.printable(path)])
}) | {why |
	some [path, x] in argocd_tools(m)
	argocd_fold(path[count(path) - 1]) == "helm"
	is_object(x)
	some f in argocd_value_files(object.get(x, "valueFiles", []))
	why := sprintf("helm valueFiles entry %s at %s is not a path in the repository (kubernetes.allow_argocd_source_overrides)", [lib.printable(f), lib.printable(path)])
}) | {why |
	some [path, x] in argocd_tools(m)
	argocd_fold(path[count(path) - 1]) == "directory"
	is_object(x)
	j := object.get(x, "jsonnet", {})
	some k in argocd_jsonnet_overrides(j)
	why := sprintf("jsonnet %s at %s changes what Argo CD renders from the repository (kubernetes.allow_argocd_source_overrides)", [lib.printable(k), lib.printable(path)])
}) | {why |
	walk(m, [path, x])
	count(path) > 1
	path[0] != "metadata"
	argocd_fold(path[count(path) - 1]) == "manifests"
	argocd_fold(path[count(path) - 2]) == "sync"
	x != null
	why := sprintf("%s at %s has Argo CD apply those manifests instead of rendering the repository (kubernetes.allow_argocd_source_overrides)", [lib.printable(path[count(path) - 1]), lib.printable(path)])
}

# An operation's sync.manifests (what "argocd app sync --local" sends)
# has the controller apply the manifests it holds instead of rendering
# the pinned repository: written into an Application, it skips the API
# server's override permission, and this gate never judges them. Unless
# allow_argocd_source_overrides, a sync may not carry one, in any case.

# argocd_tools are [path, value] of every helm, kustomize, plugin and
# directory member of a source (a source, a drySource, an entry of
# sources) outside metadata; null is unset. A generator's plugin is not
# a source's.
argocd_tools(m) := {[path, x] |
	walk(m, [path, x])
	count(path) > 1
	path[0] != "metadata"
	argocd_fold(path[count(path) - 1]) in object.keys(argocd_tool_members)
	argocd_source_path(array.slice(path, 0, count(path) - 1))
	x != null
}

# argocd_fold is a member name as Go's encoding/json matches it to a
# field (Unicode simple folding: "Helm", "HELM", "kuſtomize"): each case
# variant of a tool or source member is judged as the member.
argocd_fold(k) := fold(k) if is_string(k)

else := k

argocd_source_path(p) if argocd_fold(p[count(p) - 1]) in {"source", "drysource"}

argocd_source_path(p) if {
	count(p) > 1
	argocd_fold(p[count(p) - 2]) == "sources"
	is_number(p[count(p) - 1])
}

# argocd_value_files are the entries of a valueFiles that are not a path
# in a repository (the list itself, when it is not one).
argocd_value_files(fs) := {f |
	some f in fs
	not argocd_repo_path(f)
} if is_array(fs)

else := {fs}

argocd_repo_path(f) if {
	is_string(f)
	not contains(f, "://")
}

argocd_jsonnet_overrides(j) := {k | some k, _ in j; k != "libs"} if is_object(j)

else := {j} if j != null

else := set()

# Argo CD deploys what a source's targetRevision (a Git generator's
# revision) names when it syncs, not when this gate judged the
# Application: a branch, a tag, HEAD (what none means), a Helm chart
# version or range all move with the repository after the gate passed
# it. Unless allow_argocd_floating_revisions, every revision an
# Application or ApplicationSet holds (an operation's revision and
# revisions too, which a sync uses instead) must be a full commit SHA
# or a sha256 digest, every source must name one, and a source hydrator,
# which syncs from the branch it writes to, is denied.
allow_argocd_floating_revisions := lib.config("kubernetes", "allow_argocd_floating_revisions", false) == true

argocd_floating(m) := (({why |
	walk(m, [path, rev])
	count(path) > 0
	path[count(path) - 1] in {"targetRevision", "revision"}
	not argocd_pinned(rev)
	why := sprintf("revision %s at %s is not a full commit SHA or a sha256 digest (kubernetes.allow_argocd_floating_revisions)", [lib.printable(rev), lib.printable(path)])
} | {why |
	walk(m, [path, revs])
	count(path) > 0
	path[count(path) - 1] == "revisions"
	some rev in argocd_revision_list(revs)
	not argocd_pinned(rev)
	why := sprintf("revision %s in %s is not a full commit SHA or a sha256 digest (kubernetes.allow_argocd_floating_revisions)", [lib.printable(rev), lib.printable(path)])
}) | {why |
	walk(m, [path, src])
	is_object(src)
	"repoURL" in object.keys(src)
	not "targetRevision" in object.keys(src)
	not "revision" in object.keys(src)
	why := sprintf("the source at %s names no revision, so Argo CD follows HEAD (kubernetes.allow_argocd_floating_revisions)", [lib.printable(path)])
}) | {why |
	walk(m, [path, _])
	count(path) > 0
	path[count(path) - 1] == "sourceHydrator"
	why := sprintf("the source hydrator at %s syncs from a branch (kubernetes.allow_argocd_floating_revisions)", [lib.printable(path)])
}

argocd_revision_list(revs) := revs if is_array(revs)

else := [revs]

# argocd_pinned: a full commit SHA (Argo CD takes 40 hex digits as one,
# never as a ref) or a digest (a ":" no Git ref name may hold).
argocd_pinned(rev) if {
	is_string(rev)
	regex.match("^([0-9a-f]{40}|sha256:[0-9a-f]{64})$", rev)
}

# argocd_projects are [path, project] of m's Application specs: an
# Application's (absent: null), an ApplicationSet's template's (absent:
# null), and each project a generator's own template sets.
argocd_projects(m) := {[["spec", "project"], object.get(m, ["spec", "project"], null)]} if m.kind == "Application"

else := {[["spec", "template", "spec", "project"], object.get(m, ["spec", "template", "spec", "project"], null)]} | {[path, p] |
	walk(m, [path, p])
	argocd_template_project(path)
} if {
	m.kind == "ApplicationSet"
}

else := set()

argocd_template_project(path) if {
	count(path) >= 3
	array.slice(path, count(path) - 3, count(path)) == ["template", "spec", "project"]
}

argocd_project_findings(spec) := {"spec is not an object"} if not is_object(spec)

else := (((((((({why |
	some k in ["sourceRepos", "destinations", "sourceNamespaces", "clusterResourceWhitelist", "namespaceResourceWhitelist"]
	not is_array(object.get(spec, k, []))
	why := sprintf("spec.%s is not a list", [k])
} | {why |
	object.get(spec, "namespaceResourceWhitelist", []) == []
	why := "spec.namespaceResourceWhitelist is missing or empty, which lets Argo CD create every namespaced kind (a RoleBinding, a Secret)"
}) | {why |
	some e in object.get(spec, "namespaceResourceWhitelist", [])
	not argocd_namespace_kind_ok(e)
	why := sprintf("namespaceResourceWhitelist entry %s is not a workload or harmless kind in its own API group, nor a kind kubernetes.allowed_kinds lists, by name", [lib.printable(e)])
}) | {why |
	some r in object.get(spec, "sourceRepos", [])
	not argocd_narrowing(r)
	not r in allowed_argocd_repos
	why := sprintf("sourceRepos entry %s is not in kubernetes.allowed_argocd_repos", [lib.printable(r)])
}) | {why |
	some d in object.get(spec, "destinations", [])
	not argocd_destination_ok(d)
	why := sprintf("destinations entry %s names a glob, a control plane namespace (kubernetes.control_plane_namespaces) or no readable server", [lib.printable(d)])
}) | {why |
	some n in object.get(spec, "sourceNamespaces", [])
	not argocd_literal(n)
	why := sprintf("sourceNamespaces entry %s is a glob", [lib.printable(n)])
}) | {why |
	some e in object.get(spec, "clusterResourceWhitelist", [])
	not argocd_cluster_kind_ok(e)
	why := sprintf("clusterResourceWhitelist entry %s is not a kind kubernetes.allowed_kinds lists, by name", [lib.printable(e)])
}) | {why |
	not allow_argocd_project_credentials
	some list in ["namespaceResourceWhitelist", "clusterResourceWhitelist"]
	entries := object.get(spec, list, [])
	is_array(entries)
	some e in entries
	is_object(e)
	kind := object.get(e, "kind", null)
	is_string(kind)
	fold(kind) in argocd_credential_kinds
	why := sprintf("%s entry %s lets Argo CD create credentials from the repository, in shapes this gate never judges (kubernetes.allow_argocd_project_credentials)", [list, lib.printable(e)])
}) | {why |
	not allow_argocd_project_roles
	some k, roles in spec
	argocd_fold(k) == "roles"
	some why in argocd_role_findings(k, roles)
}) | {why |
	some k, accounts in spec
	argocd_fold(k) == "destinationserviceaccounts"
	some why in argocd_service_account_findings(k, accounts)
}

# An AppProject's roles grant their groups, and the JWT tokens issued for
# them, Argo CD's actions on the project's Applications, one Casbin
# policy line each ("p, proj:x:ci, applications, sync, x/*, allow"):
# update and override change an Application's revision, parameters or
# manifests after this gate passed it (override syncs local manifests or
# another revision), sync and action/* run it, create makes new ones,
# exec opens a shell in their pods. Unless allow_argocd_project_roles,
# every role (roles in any case, as Go's decoder reads it) may hold only
# policies that read (action get) or deny, each exactly six plain
# comma-separated fields: a quote, a control character, another case or
# any other shape is denied, not parsed.
allow_argocd_project_roles := lib.config("kubernetes", "allow_argocd_project_roles", false) == true

argocd_role_findings(k, roles) := {sprintf("spec.%s is not a list (kubernetes.allow_argocd_project_roles)", [lib.printable(k)])} if not is_array(roles)

else := {why |
	some i, r in roles
	some why in argocd_role_entry_findings(sprintf("spec.%s[%d]", [lib.printable(k), i]), r)
}

argocd_role_entry_findings(at, r) := {sprintf("role %s is not an object (kubernetes.allow_argocd_project_roles)", [at])} if not is_object(r)

else := {why |
	some k, ps in r
	argocd_fold(k) == "policies"
	not is_array(ps)
	why := sprintf("%s.%s is not a list (kubernetes.allow_argocd_project_roles)", [at, lib.printable(k)])
} | {why |
	some k, ps in r
	argocd_fold(k) == "policies"
	is_array(ps)
	some p in ps
	not argocd_read_only_policy(p)
	why := sprintf("role %s grants %s, which lets its groups change or run the project's Applications after this gate passed them (kubernetes.allow_argocd_project_roles)", [at, lib.printable(p)])
}

argocd_read_only_policy(p) if {
	is_string(p)
	not regex.match(`["\x00-\x1f\x7f]`, p)
	fields := [trim_space(f) | some f in split(p, ",")]
	count(fields) == 6
	fields[0] == "p"
	argocd_read_only_effect(fields[3], fields[5])
}

argocd_read_only_effect(_, "deny")

argocd_read_only_effect("get", "allow")

# An AppProject's destinationServiceAccounts name the service account
# Argo CD impersonates to sync into a destination (server, namespace),
# "name" in the destination's namespace or "namespace:name" in another.
# Each entry must be an object of exactly those members, server and
# namespace literal (no glob, as destinations), the namespace none of the
# control plane's, and the account a literal name (no glob, no empty
# part) that lives in no control plane namespace: Argo CD's own
# controller ("argocd:argocd-application-controller") or a kube-system
# controller syncs with cluster-admin.
argocd_service_account_findings(k, accounts) := {sprintf("spec.%s is not a list", [lib.printable(k)])} if not is_array(accounts)

else := {why |
	some e in accounts
	not argocd_service_account_entry_ok(e)
	why := sprintf("destinationServiceAccounts entry %s names a glob, a control plane namespace (kubernetes.control_plane_namespaces) or an account that is not a literal name", [lib.printable(e)])
}

argocd_service_account_entry_ok(e) if {
	is_object(e)
	object.get(e, "defaultServiceAccount", null) != null
	every k, x in e {
		argocd_service_account_member_ok(k, x)
	}
}

argocd_service_account_member_ok("server", x) if argocd_literal(x)

argocd_service_account_member_ok("namespace", x) if {
	argocd_literal(x)
	not argocd_control_plane_namespace(x)
}

argocd_service_account_member_ok("defaultServiceAccount", x) if {
	is_string(x)
	parts := split(x, ":")
	count(parts) <= 2
	every part in parts {
		regex.match(`^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$`, part)
	}
	not argocd_foreign_control_plane_account(parts)
}

argocd_foreign_control_plane_account(parts) if {
	count(parts) == 2
	argocd_control_plane_namespace(parts[0])
}

# control_plane_namespaces are the namespaces no Argo CD destination may
# name: Argo CD's own (argocd, openshift-gitops, and those the
# configuration lists), where the repository would ship argocd-rbac-cm or
# a cluster Secret Argo CD then reads, and every kube- namespace.
control_plane_namespaces := {"argocd", "openshift-gitops"} | {n | some n in lib.config("kubernetes", "control_plane_namespaces", []); is_string(n)}

argocd_control_plane_namespace(ns) if {
	is_string(ns)
	startswith(lower(ns), "kube-")
}

argocd_control_plane_namespace(ns) if {
	is_string(ns)
	lower(trim_space(ns)) in control_plane_namespaces
}

# argocd_credential_kinds (folded) are the kinds that carry or grant
# credentials: a Secret (a service-account-token Secret mints a token for
# any service account of the namespace, an Argo CD cluster or repository
# Secret registers a cluster or a repository), a ServiceAccount, and the
# RBAC kinds. Harmless or listed in allowed_kinds when a deploy applies
# them itself, where this gate judges their shape, they are not in an
# AppProject's whitelists, where Argo CD creates whatever the repository
# holds: unless allow_argocd_project_credentials, a whitelist may not
# name one (in any group; the RBAC kinds still need allowed_kinds).
argocd_credential_kinds := {fold(k) | some k in ["Secret", "ServiceAccount", "Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"]}

allow_argocd_project_credentials := lib.config("kubernetes", "allow_argocd_project_credentials", false) == true

# argocd_narrowing: a "!" entry takes repositories or destinations away.
argocd_narrowing(x) if {
	is_string(x)
	startswith(x, "!")
}

# argocd_literal: a string Argo CD's glob matching reads as itself. A
# backslash escapes the next character to its globs (gobwas/glob,
# filepath.Match): "kube\-system" matches kube-system, and no name a
# destination or a kind holds has one.
argocd_literal(x) if {
	is_string(x)
	not regex.match("[*?\\[\\]{}\\\\]", x)
}

argocd_destination_ok(d) if {
	is_object(d)
	every k, x in d {
		argocd_destination_member_ok(k, x)
	}
}

argocd_destination_member_ok(k, x) if {
	k in {"server", "name"}
	argocd_literal(x)
}

argocd_destination_member_ok("namespace", x) if {
	argocd_literal(x)
	not argocd_control_plane_namespace(x)
}

argocd_destination_member_ok(_, x) if argocd_narrowing(x)

argocd_cluster_kind_ok(e) if {
	argocd_group_kind(e)
	e.kind in extra_kinds
}

# argocd_namespace_kind_ok: a namespaceResourceWhitelist entry, literal,
# names a kind this gate accepts when a deploy applies it itself: a
# workload or harmless kind in its own API group (an absent group is the
# core group, as Argo CD reads it), or a kind allowed_kinds lists. RBAC
# kinds are neither unless listed.
argocd_namespace_kind_ok(e) if {
	argocd_group_kind(e)
	e.kind in extra_kinds
}

argocd_namespace_kind_ok(e) if {
	argocd_group_kind(e)
	object.get(e, "group", "") in accepted_groups[e.kind]
}

accepted_groups := object.union(harmless_groups, workload_groups)

# argocd_group_kind: a whitelist entry of a literal group and kind only.
argocd_group_kind(e) if {
	is_object(e)
	every k, x in e {
		k in {"group", "kind"}
		argocd_literal(x)
	}
}

harmful_shape contains [m, "a Secret whose labels are not an object"] if {
	some m in objects
	m.kind == "Secret"
	labels := object.get(m, ["metadata", "labels"], null)
	labels != null
	not is_object(labels)
}

harmful_shape contains [m, "a ConfigMap whose data is not an object"] if {
	some m in objects
	m.kind == "ConfigMap"
	settings := object.get(m, "data", null)
	settings != null
	not is_object(settings)
}

# A PersistentVolume is not harmless; one accepted through allowed_kinds
# still may not be a node's directory (hostPath, local), as a pod's
# volume may not.
violations contains v if {
	some m in objects
	m.kind == "PersistentVolume"
	some k in ["hostPath", "local"]
	object.get(m, ["spec", k], null) != null
	v := {
		"rule": "kubernetes.host_path",
		"message": sprintf("%s is a %s volume, a directory of the node", [label(m), k]),
		"value": k,
	}
}

# A gitRepo volume has the kubelet run git on the node, as root, over a
# repository the pod's author names: its hooks and configuration run
# commands on the host (CVE-2024-10220). The volume type is deprecated
# and off by default from Kubernetes 1.33; an init container that clones
# into an emptyDir does the same inside the pod.
violations contains v if {
	some [m, spec] in pod_specs
	some vol in object.get(spec, "volumes", [])
	is_object(vol)
	object.get(vol, "gitRepo", null) != null
	v := {
		"rule": "kubernetes.host_path",
		"message": sprintf("%s mounts gitRepo volume %s, which runs git on the node (CVE-2024-10220)", [label(m), lib.printable(lib.show(vol, "name"))]),
		"value": object.get(vol, "name", null),
	}
}

violations contains v if {
	some [m, spec, c] in containers
	not run_as_non_root(spec, c)
	v := {
		"rule": "kubernetes.run_as_root",
		"message": sprintf("container %s in %s may run as root; set securityContext.runAsNonRoot: true and no runAsUser 0", [lib.printable(lib.show(c, "name")), label(m)]),
		"value": object.get(c, "name", null),
	}
}

# run_as_non_root: the effective runAsNonRoot (the container's, else the
# pod's) is true, and the effective runAsUser is absent or a non-zero
# number. A field that is not an object or has the wrong type is not
# "non-root".
run_as_non_root(spec, c) if {
	psc := object.get(spec, "securityContext", {})
	csc := object.get(c, "securityContext", {})
	is_object(psc)
	is_object(csc)
	effective(csc, psc, "runAsNonRoot") == true
	non_root_uid(effective(csc, psc, "runAsUser"))
}

# effective is the container's field, or the pod's when the container's
# is absent or null: Kubernetes reads a null as unset, so a container's
# runAsUser: null runs as the pod's runAsUser 0.
effective(csc, psc, field) := csc[field] if csc[field] != null

else := object.get(psc, field, null)

non_root_uid(null)

# A uid is an integer; one that is not (0.5, 1e-9: a decoder may truncate
# it to 0) or is negative is not a non-root uid.
non_root_uid(uid) if {
	is_number(uid)
	uid >= 1
	floor(uid) == uid
}

# Security contexts must be objects.
violations contains v if {
	some [m, spec] in pod_specs
	not is_object(object.get(spec, "securityContext", {}))
	v := {"rule": "kubernetes.malformed", "message": sprintf("%s: securityContext must be an object", [label(m)]), "value": name(m)}
}

violations contains v if {
	some [m, _, c] in containers
	caps := object.get(c, ["securityContext", "capabilities"], {})
	not is_object(caps)
	v := {"rule": "kubernetes.malformed", "message": sprintf("container %s in %s: securityContext.capabilities must be an object", [lib.printable(lib.show(c, "name")), label(m)]), "value": object.get(c, "name", null)}
}

violations contains v if {
	some [m, _, c] in containers
	not is_object(object.get(c, "securityContext", {}))
	v := {"rule": "kubernetes.malformed", "message": sprintf("container %s in %s: securityContext must be an object", [lib.printable(lib.show(c, "name")), label(m)]), "value": object.get(c, "name", null)}
}

violations contains v if {
	some m in manifests
	is_object(m)
	walk(m, [path, x])
	is_object(x)
	not free_form(path)
	some k, _ in x
	is_string(k)
	want := checked_lower[fold(k)]
	k != want
	v := {
		"rule": "kubernetes.case_variant_key",
		"message": sprintf("%s: member %q at %s is %q in another case; the rules read only %q", [label(m), k, lib.printable(path), want, want]),
		"value": k,
	}
}

# no_manifests: input.manifests is missing, null or an empty list, or a
# list of empty Lists only (which admits nothing, like no manifest).
no_manifests if manifests == null

no_manifests if manifests == []

no_manifests if {
	is_array(manifests)
	count(manifests) > 0
	every m in manifests {
		is_list_kind(kind_of(m))
		object.get(m, "items", null) == []
	}
}

# free_form: the object at path holds user-chosen keys (labels,
# annotations, data, selectors), where a key like "Image" is a name, not
# a field. Object metadata itself is not: its namespace decides where the
# object lands (kubernetes.system_namespace), so "Namespace" is a case
# variant like "HostNetwork".
free_form(path) if {
	some p in path
	p in {"labels", "annotations", "data", "stringData", "binaryData", "nodeSelector", "selector", "matchLabels"}
}
