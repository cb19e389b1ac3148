// Package config holds Strait's configuration file format: the types, their
// strict decoding from YAML, reference expansion and validation.
package config

import (
	"time"

	"github.com/strait-gw/strait/internal/schema"
)

// Config is one Strait configuration file.
type Config struct {
	// Admin configures the HTTP server for health, metrics and the admin API.
	Admin Admin `yaml:"admin"`
	// Observability configures logging.
	Observability Observability `yaml:"observability"`
	// Runtime configures process-wide behaviour such as shutdown.
	Runtime Runtime `yaml:"runtime"`
	// BackendClusters are the real Kafka clusters Strait forwards to.
	BackendClusters []BackendCluster `yaml:"backend_clusters"`
	// VirtualClusters are the views of backend clusters clients connect to.
	VirtualClusters []VirtualCluster `yaml:"virtual_clusters"`
	// Listeners are the sockets Strait accepts client connections on.
	Listeners []Listener `yaml:"listeners"`
	// StaticKeys are key encryption keys that encrypt and decrypt
	// policies name.
	StaticKeys []StaticKey `yaml:"static_keys"`
	// SchemaRegistries are the registries schema_validation policies
	// name.
	SchemaRegistries []schema.RegistryConfig `yaml:"schema_registries"`

	// Warnings are problems that do not stop the file from loading, each
	// with the path of its field; validate prints them.
	Warnings Errors `yaml:"-"`
}

// Admin configures the admin HTTP server.
type Admin struct {
	// Address is the host:port the admin HTTP server listens on. Empty
	// disables it. Default 127.0.0.1:8080.
	Address string `yaml:"address"`
}

// Observability configures logs.
type Observability struct {
	// LogLevel is debug, info, warn or error. Default info.
	LogLevel string `yaml:"log_level"`
	// LogFormat is logfmt or json. Default logfmt.
	LogFormat string `yaml:"log_format"`
}

// Runtime configures process-wide behaviour.
type Runtime struct {
	// DrainDuration is how long in-flight requests may finish on shutdown
	// after listeners stop accepting. Default 5s.
	DrainDuration Duration `yaml:"drain_duration"`
	// ShutdownTimeout bounds the whole shutdown. Default 10s.
	ShutdownTimeout Duration `yaml:"shutdown_timeout"`
	// MaxFrameBytes caps the size of one Kafka frame from a client or a
	// backend; larger frames close the connection. Default 104857600 (100 MiB).
	MaxFrameBytes int64 `yaml:"max_frame_bytes"`
	// FetchLeaderEndpoints serves Fetch v16+, whose responses may carry
	// KIP-951 leader endpoints that the gateway then rewrites. That means
	// reading every Fetch response whole before forwarding it. When false
	// (the default), clients are offered Fetch up to v15: they learn of a
	// new leader through metadata instead, and Fetch responses are
	// forwarded without a copy.
	FetchLeaderEndpoints bool `yaml:"fetch_leader_endpoints"`
	// FailedAuthenticationDelay is how long a client's failed
	// authentication waits before it is answered, as Kafka's
	// connection.failed.authentication.delay.ms: it slows password
	// guessing. Default 100ms; 0 answers at once.
	FailedAuthenticationDelay Duration `yaml:"failed_authentication_delay"`
	// FirstRequestTimeout closes a client connection that sends no request
	// within this long of being accepted (port scans, health checks that
	// never speak Kafka). Default 10s; 0 waits forever.
	FirstRequestTimeout Duration `yaml:"first_request_timeout"`
	// MaxConnections caps the client connections open at once across
	// every listener; a connection beyond it is closed as soon as it is
	// accepted, and the ones open are untouched. 0 (the default) sets no
	// cap.
	MaxConnections int `yaml:"max_connections"`
}

// BackendCluster is a real Kafka cluster.
type BackendCluster struct {
	// Name identifies the cluster; virtual clusters refer to it.
	Name string `yaml:"name"`
	// BootstrapServers are host:port seeds for the cluster's metadata.
	BootstrapServers []string `yaml:"bootstrap_servers"`
	// MetadataUpdateInterval is how often broker metadata is refreshed.
	// Default 60s.
	MetadataUpdateInterval Duration `yaml:"metadata_update_interval"`
	// TLS configures TLS to the cluster's brokers.
	TLS BackendTLS `yaml:"tls"`
	// Authentication is how Strait authenticates to the cluster.
	Authentication BackendAuth `yaml:"authentication"`
	// InsecureAllowAnonymousVirtualClusterAuth allows a virtual cluster with
	// anonymous client authentication in front of an authenticated backend.
	InsecureAllowAnonymousVirtualClusterAuth bool `yaml:"insecure_allow_anonymous_virtual_cluster_auth"`
}

// BackendTLS configures TLS from Strait to a backend cluster.
type BackendTLS struct {
	// Enabled turns TLS on.
	Enabled bool `yaml:"enabled"`
	// CABundle is a PEM bundle of CAs to verify brokers with; empty uses the
	// system roots.
	CABundle string `yaml:"ca_bundle"`
	// InsecureSkipVerify disables verification of broker certificates.
	InsecureSkipVerify bool `yaml:"insecure_skip_verify"`
	// TLSVersions lists the allowed versions: tls12, tls13. Default both.
	TLSVersions []string `yaml:"tls_versions"`
	// ClientIdentity is a PEM certificate and key for mutual TLS.
	ClientIdentity *CertKey `yaml:"client_identity"`
}

// CertKey is a PEM certificate chain and its private key.
type CertKey struct {
	// Certificate is the PEM certificate chain.
	Certificate string `yaml:"certificate"`
	// Key is the PEM private key.
	Key string `yaml:"key"`
	// CertificateFile and KeyFile are the files Certificate and Key were
	// read from when given as a whole ${file:PATH} reference (absolute
	// paths), so that they can be reloaded when they change; else empty.
	CertificateFile string `yaml:"-"`
	KeyFile         string `yaml:"-"`
}

// BackendAuth is how Strait authenticates to a backend cluster.
type BackendAuth struct {
	// Type is anonymous, sasl_plain, sasl_scram or sasl_oauthbearer.
	// Default anonymous.
	Type string `yaml:"type"`
	// Username for sasl_plain and sasl_scram.
	Username string `yaml:"username"`
	// Password for sasl_plain and sasl_scram.
	Password string `yaml:"password"`
	// Algorithm for sasl_scram: sha256 or sha512.
	Algorithm string `yaml:"algorithm"`
	// TokenEndpoint is the OAuth 2.0 token endpoint (an http or https URL)
	// that sasl_oauthbearer gets its tokens from, with the client
	// credentials grant. A token is reused until shortly before it
	// expires.
	TokenEndpoint string `yaml:"token_endpoint"`
	// ClientID identifies Strait to the token endpoint (sasl_oauthbearer).
	ClientID string `yaml:"client_id"`
	// ClientSecret authenticates Strait to the token endpoint, with
	// ClientID, in an HTTP Basic authorization header (sasl_oauthbearer).
	ClientSecret string `yaml:"client_secret"`
	// Scope is the space-separated scope requested with each token
	// (sasl_oauthbearer); empty requests none.
	Scope string `yaml:"scope"`
}

// VirtualCluster is a view of one backend cluster.
type VirtualCluster struct {
	// Name identifies the virtual cluster; listeners refer to it.
	Name string `yaml:"name"`
	// Destination is the name of the backend cluster.
	Destination string `yaml:"destination"`
	// DNSLabel is an RFC 1035 label used by SNI routing. Default: Name.
	DNSLabel string `yaml:"dns_label"`
	// ACLMode is passthrough (the backend decides) or enforce_on_gateway.
	// Default passthrough.
	ACLMode string `yaml:"acl_mode"`
	// Authentication lists how clients may authenticate, in order: a
	// client that starts a SASL exchange uses the method of its mechanism;
	// a client that sends another request first gets the identity of the
	// first anonymous or client_certificate method that matches it.
	// Default [{type: anonymous}].
	Authentication []ClientAuth `yaml:"authentication"`
	// MaxSessionLifetime caps how long a SASL session lasts before the
	// client must re-authenticate on its connection (KIP-368): the session
	// lifetime of terminated PLAIN and SCRAM exchanges, and the cap on an
	// OAUTHBEARER token's remaining lifetime. 0 (the default) sets no cap.
	MaxSessionLifetime Duration `yaml:"max_session_lifetime"`
	// Namespace limits the virtual cluster to the backend topics, groups
	// and transactional ids under a prefix. Default: the whole backend.
	Namespace *Namespace `yaml:"namespace"`
	// TopicAliases give topics of the namespace second names.
	TopicAliases []TopicAlias `yaml:"topic_aliases"`
	// ClusterPolicies act on requests before they reach the backend
	// (acls). With acl_mode enforce_on_gateway, requests are denied unless
	// an acls policy allows them.
	ClusterPolicies []VCPolicy `yaml:"cluster_policies"`
	// ProducePolicies act on produced records.
	ProducePolicies []VCPolicy `yaml:"produce_policies"`
	// ConsumePolicies act on consumed records.
	ConsumePolicies []VCPolicy `yaml:"consume_policies"`
}

// ClientAuth is one way clients authenticate to a virtual cluster. Which
// fields apply depends on Type; the others must be left out.
type ClientAuth struct {
	// Type is anonymous, client_certificate (the principal that the TLS
	// listener's principal_mapping derives from a verified client
	// certificate), sasl_plain, sasl_scram or oauth_bearer.
	Type string `yaml:"type"`
	// Mediation says who checks the client's credentials (SASL types):
	// terminate (the gateway, which then reaches the backend with the
	// backend cluster's own authentication) or passthrough (the backend:
	// the client's connection reaches it unauthenticated and its exchange
	// is forwarded; a virtual cluster in front of a backend Strait logs in
	// to may not mix the two kinds); oauth_bearer also has
	// validate_forward (the gateway validates the token, then forwards the
	// exchange).
	Mediation string `yaml:"mediation"`
	// Algorithm is the hash of sasl_scram: sha256 (SCRAM-SHA-256) or
	// sha512 (SCRAM-SHA-512).
	Algorithm string `yaml:"algorithm"`
	// Principals are the users the gateway accepts with terminate
	// (sasl_plain, sasl_scram).
	Principals []AuthPrincipal `yaml:"principals"`
	// JWKS is where oauth_bearer gets the keys that sign tokens; required
	// with validate_forward and terminate.
	JWKS *JWKS `yaml:"jwks"`
	// Validate holds what oauth_bearer requires of a token's claims besides
	// its signature and times.
	Validate *TokenValidation `yaml:"validate"`
	// ClaimsMapping names the claims oauth_bearer reads the principal and
	// the scope from.
	ClaimsMapping *ClaimsMapping `yaml:"claims_mapping"`
}

// AuthPrincipal is a user of sasl_plain or sasl_scram with terminate. A
// sasl_scram user may be given by its salted credentials instead of its
// password, as Kafka stores them, so that no password need be stored.
type AuthPrincipal struct {
	// Username is the name the client authenticates as.
	Username string `yaml:"username"`
	// Password is the user's password.
	Password string `yaml:"password"`
	// Salt is the base64 SCRAM salt (sasl_scram without password).
	Salt string `yaml:"salt"`
	// Iterations is the SCRAM iteration count, 4096 to 16384 (sasl_scram
	// without password).
	Iterations int `yaml:"iterations"`
	// StoredKey is the base64 SCRAM StoredKey (sasl_scram without
	// password): 32 bytes for sha256, 64 for sha512.
	StoredKey string `yaml:"stored_key"`
	// ServerKey is the base64 SCRAM ServerKey (sasl_scram without
	// password), of the same length as StoredKey.
	ServerKey string `yaml:"server_key"`
}

// JWKS is a JSON Web Key Set endpoint.
type JWKS struct {
	// Endpoint is the http or https URL of the key set.
	Endpoint string `yaml:"endpoint"`
	// Timeout bounds one fetch of the key set. Default 10s.
	Timeout Duration `yaml:"timeout"`
	// CacheExpiration is how long fetched keys are trusted before they are
	// fetched again; a token signed by a key the set does not hold also
	// fetches it again (at most every few seconds). Default 1h.
	CacheExpiration Duration `yaml:"cache_expiration"`
}

// TokenValidation is what oauth_bearer requires of a token's claims.
type TokenValidation struct {
	// Issuer, when set, must equal the token's iss claim.
	Issuer string `yaml:"issuer"`
	// Audiences, when set, must include one of the token's aud values.
	Audiences []TokenAudience `yaml:"audiences"`
}

// TokenAudience is one accepted audience.
type TokenAudience struct {
	// Name is the audience value.
	Name string `yaml:"name"`
}

// ClaimsMapping names the claims of a token the gateway reads.
type ClaimsMapping struct {
	// Sub is the claim holding the principal's name. Default sub.
	Sub string `yaml:"sub"`
	// Scope is the claim holding the token's scope (a space-separated
	// string or a list). Default scope.
	Scope string `yaml:"scope"`
}

// Listener is a set of sockets accepting client connections.
type Listener struct {
	// Name identifies the listener in logs and metrics.
	Name string `yaml:"name"`
	// Addresses are the IPs or host names to bind. Default ["127.0.0.1"].
	Addresses []string `yaml:"addresses"`
	// Ports are port numbers or "a-b" ranges.
	Ports []PortRange `yaml:"ports"`
	// Policies apply to connections in order.
	Policies []ListenerPolicy `yaml:"policies"`
	// MaxConnections caps the listener's client connections open at once,
	// over all its ports and addresses; a connection beyond it is closed
	// as soon as it is accepted, and the ones open are untouched. 0 (the
	// default) sets no cap.
	MaxConnections int `yaml:"max_connections"`
}

// ListenerPolicy is one typed listener policy.
type ListenerPolicy struct {
	// Type is tls_server or forward_to_virtual_cluster.
	Type string `yaml:"type"`
	// Forward is the policy's config when Type is forward_to_virtual_cluster;
	// it is decoded from the "config" key according to Type.
	Forward *ForwardConfig `yaml:"-"`
	// TLSServer is the policy's config when Type is tls_server.
	TLSServer *TLSServerConfig `yaml:"-"`
}

// TLSServerConfig configures tls_server: TLS termination on a listener.
type TLSServerConfig struct {
	// Certificates are the server certificates; the one presented is
	// chosen by the client's server name (SNI) among their SANs, the
	// first being the default.
	Certificates []CertKey `yaml:"certificates"`
	// Versions bounds the TLS versions accepted: TLSv1.2 or TLSv1.3.
	// Default min TLSv1.2, max TLSv1.3.
	Versions TLSVersions `yaml:"versions"`
	// AllowPlaintext also accepts plaintext Kafka on the same ports when a
	// connection's first byte is not a TLS handshake. Default false.
	AllowPlaintext bool `yaml:"allow_plaintext"`
	// ClientAuthentication asks clients for certificates.
	ClientAuthentication *ClientTLSAuth `yaml:"client_authentication"`
}

// TLSVersions is a range of TLS versions.
type TLSVersions struct {
	// Min is TLSv1.2 or TLSv1.3. Default TLSv1.2.
	Min string `yaml:"min"`
	// Max is TLSv1.2 or TLSv1.3. Default TLSv1.3.
	Max string `yaml:"max"`
}

// ClientTLSAuth configures client certificates on a TLS listener.
type ClientTLSAuth struct {
	// Mode is required (a client without a trusted certificate is
	// refused) or requested (a certificate is verified if given). It has
	// no default. With required, the tls_server cannot allow plaintext.
	Mode string `yaml:"mode"`
	// TLSTrustBundles are PEM bundles of the CAs client certificates must
	// chain to; at least one, each holding at least one certificate.
	TLSTrustBundles []string `yaml:"tls_trust_bundles"`
	// TrustBundleFiles[i] is the file TLSTrustBundles[i] was read from when
	// given as a whole ${file:PATH} reference, else empty.
	TrustBundleFiles []string `yaml:"-"`
	// PrincipalMapping derives the client's principal from its certificate.
	PrincipalMapping PrincipalMapping `yaml:"principal_mapping"`
}

// PrincipalMapping derives a principal from a client certificate.
type PrincipalMapping struct {
	// Type is subject_dn (the subject as an RFC 2253 string, the
	// default), cn, san_dns (the first DNS SAN), san_uri (the first URI
	// SAN) or template.
	Type string `yaml:"type"`
	// Template, for type template, is text with placeholders for subject
	// fields: {CN}, {O}, {OU}, {L}, {ST}, {C}, {SERIALNUMBER}; e.g.
	// "User:{CN}@{O}". A placeholder whose field is absent is empty.
	Template string `yaml:"template"`
}

// ForwardConfig configures forward_to_virtual_cluster.
type ForwardConfig struct {
	// Type is port_mapping or sni.
	Type string `yaml:"type"`
	// Destination is the virtual cluster's name. For sni it is optional:
	// when set, only that virtual cluster is served; when empty, the
	// virtual cluster is found by the dns_label in the server name.
	Destination string `yaml:"destination"`
	// AdvertisedHost is the host name clients are told to connect to.
	// Default: the listener's first address, or localhost when that is a
	// wildcard address (0.0.0.0, ::).
	AdvertisedHost string `yaml:"advertised_host"`
	// BootstrapPort is at_start (the first port is bootstrap) or none.
	// Default at_start.
	BootstrapPort string `yaml:"bootstrap_port"`
	// MinBrokerID is the backend broker id served on the first broker port;
	// the following ports serve the following ids. Default 0.
	MinBrokerID int32 `yaml:"min_broker_id"`

	// SNISuffix, for type sni, ends every host name this policy serves;
	// it starts with "." or "-".
	SNISuffix string `yaml:"sni_suffix"`
	// AdvertisedPort, for type sni, is the port clients are told to use
	// for every host name. Default: the listener's first port.
	AdvertisedPort int `yaml:"advertised_port"`
	// BrokerHostFormat, for type sni, is how host names are built.
	BrokerHostFormat BrokerHostFormat `yaml:"broker_host_format"`
}

// BrokerHostFormat chooses the SNI host names of a virtual cluster.
type BrokerHostFormat struct {
	// Type is per_cluster_suffix (bootstrap.<dns_label><suffix> and
	// broker-<id>.<dns_label><suffix>, the default) or shared_suffix
	// (bootstrap-<dns_label><suffix> and broker-<id>-<dns_label><suffix>,
	// which one wildcard certificate covers for every virtual cluster).
	Type string `yaml:"type"`
}

// PortRange is an inclusive range of ports; a single port has First == Last.
type PortRange struct {
	First, Last int
}

// Duration is a time.Duration written as a Go duration string ("30s").
type Duration time.Duration
