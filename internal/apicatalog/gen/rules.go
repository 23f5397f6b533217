package main

import "strings"

// This file holds the rules that turn a botocore operation into what CloudTrail records: its
// eventSource, its eventName and its readOnly flag. Each departure from the general rule is
// listed with the evidence for it. "Verified" means an AWS document shows the value (a
// CloudTrail record in a service's user guide, the CloudTrail user guide, or the EventBridge
// event reference, whose "<service> events delivered via AWS CloudTrail" sections give the
// eventSource to match) or, where the comment says so, a CloudTrail record captured from a
// real account does. "Inferred" entries rest on weaker evidence, which their comment names.

// opKey names one operation of one service: a botocore endpointPrefix or a CloudTrail
// eventSource (the tables say which) and an operation or event name.
type opKey struct{ service, name string }

// eventSourceByPrefix maps a botocore endpointPrefix to the CloudTrail eventSource of the
// services that use it, where that is not <endpointPrefix>.amazonaws.com and the dotted-prefix
// rule of eventSource does not give it either.
var eventSourceByPrefix = map[string]string{
	// SES (ses, sesv2) and Pinpoint Email share the endpoint prefix email; CloudTrail records
	// them as ses.amazonaws.com. Verified: the EventBridge reference's Amazon SES page
	// (eventSource ses.amazonaws.com).
	"email": "ses.amazonaws.com",
	// S3 Control (account-level public access block, access points, Batch Operations) is
	// recorded as Amazon S3. Verified: the S3 user guide's "Amazon S3 CloudTrail events"
	// lists the account-level actions among S3's own, and its Batch Operations examples show
	// job events with eventSource s3.amazonaws.com. S3 Control also has bucket operations
	// for S3 on Outposts buckets only (CreateBucket, PutBucketLifecycleConfiguration, ...);
	// they land under s3.amazonaws.com too, though CloudTrail may record them as
	// s3-outposts.amazonaws.com, which no document checked here settles.
	"s3-control": "s3.amazonaws.com",
	// AppStream 2.0's endpoint prefix is appstream2; CloudTrail says appstream. Verified: the
	// EventBridge reference's "Events" table (aws.appstream, appstream.amazonaws.com).
	"appstream2": "appstream.amazonaws.com",
	// MemoryDB's endpoint prefix is memory-db. Verified: the EventBridge reference's MemoryDB
	// page (eventSource memorydb.amazonaws.com).
	"memory-db": "memorydb.amazonaws.com",
	// CloudHSM v2's endpoint prefix is cloudhsmv2; CloudTrail records it as cloudhsm.
	// Verified: the CloudHSM user guide's CloudTrail example for the v2 CreateHsm, and
	// cloudhsm.amazonaws.com among the CloudTrail user guide's network activity event sources.
	"cloudhsmv2": "cloudhsm.amazonaws.com",
	// AppConfig Data (StartConfigurationSession, GetLatestConfiguration) is recorded as
	// AppConfig. Verified: the AppConfig user guide's CloudTrail example for
	// StartConfigurationSession.
	"appconfigdata": "appconfig.amazonaws.com",
	// IAM Identity Center's access portal API (portal.sso) is recorded as sso.amazonaws.com.
	// Verified: IAM Identity Center user guide, "Logging IAM Identity Center API calls with AWS
	// CloudTrail" and "CloudTrail events of AWS access portal API operations".
	"portal.sso": "sso.amazonaws.com",
	// IAM Identity Center's OIDC API (endpoint prefix oidc) is recorded as
	// sso-oauth.amazonaws.com, except CreateToken: see eventSourceByOperation. Verified: IAM
	// Identity Center user guide, "CloudTrail events of OIDC API operations".
	"oidc": "sso-oauth.amazonaws.com",
	// The Price List API (api.pricing) is recorded as pricelist. Verified: the EventBridge
	// reference's AWS Price List page (eventSource pricelist.amazonaws.com).
	"api.pricing": "pricelist.amazonaws.com",
	// SageMaker Metrics (metrics.sagemaker) is recorded apart from SageMaker. Verified: the
	// EventBridge reference's SageMaker metrics page (eventSource
	// metrics-sagemaker.amazonaws.com).
	"metrics.sagemaker": "metrics-sagemaker.amazonaws.com",
	// The Marketplace Catalog API (catalog.marketplace). Verified: the EventBridge reference's
	// Marketplace Catalog API page (eventSource marketplacecatalog.amazonaws.com).
	"catalog.marketplace": "marketplacecatalog.amazonaws.com",
	// The Marketplace Metering Service (metering.marketplace). Verified: the Marketplace seller
	// guide's CloudTrail example for BatchMeterUsage (eventSource
	// metering-marketplace.amazonaws.com).
	"metering.marketplace": "metering-marketplace.amazonaws.com",
	// Multi-party approval's endpoint prefix is mpa. Verified: the EventBridge reference's
	// Multi-party approval page (eventSource multi-party-approval.amazonaws.com).
	"mpa": "multi-party-approval.amazonaws.com",
	// Bedrock's runtime, agent and data automation APIs have their own endpoint prefixes but
	// sign as bedrock. bedrock-runtime is verified: CloudTrail records of InvokeModel show
	// eventSource bedrock.amazonaws.com, and the Bedrock user guide's CloudTrail page covers the
	// bedrock-runtime endpoint. The others are inferred: their signing name is bedrock and
	// AWS's Smithy models give them the cloudTrailEventSource bedrock.amazonaws.com.
	"bedrock-runtime":                 "bedrock.amazonaws.com",
	"bedrock-agent":                   "bedrock.amazonaws.com",
	"bedrock-agent-runtime":           "bedrock.amazonaws.com",
	"bedrock-data-automation":         "bedrock.amazonaws.com",
	"bedrock-data-automation-runtime": "bedrock.amazonaws.com",
	// IVS real-time streaming (ivsrealtime) signs as ivs. Inferred: signing name ivs, and
	// AWS's Smithy model gives it the cloudTrailEventSource ivs.amazonaws.com.
	"ivsrealtime": "ivs.amazonaws.com",
	// Lex V2 model building (models-v2-lex) is recorded as lex.amazonaws.com. Verified: Lex V2
	// CloudTrail records of CreateBotVersion and CreateBotAlias. Lex V2 runtime (runtime-v2-lex)
	// is inferred from that and its signing name lex.
	"models-v2-lex":  "lex.amazonaws.com",
	"runtime-v2-lex": "lex.amazonaws.com",
}

// eventSourceByOperation overrides eventSourceByPrefix for single operations, keyed by
// endpointPrefix and operation name.
var eventSourceByOperation = map[opKey]string{
	// Verified: IAM Identity Center user guide, "CloudTrail events of OIDC API operations":
	// CreateToken (event source sso.amazonaws.com), CreateTokenWithIAM (sso-oauth.amazonaws.com).
	{"oidc", "CreateToken"}: "sso.amazonaws.com",
}

// sharedSigningNames are signing names that several unrelated services sign with, so they do
// not name a CloudTrail event source (the dotted-prefix rule of eventSource does not use them).
var sharedSigningNames = map[string]bool{
	"execute-api":     true, // API Gateway's data plane, also Connect Participant
	"aws-marketplace": true, // every Marketplace API
}

// eventSource returns the CloudTrail eventSource of operation op of a service with the given
// botocore endpointPrefix and signingName (signingName may be "").
//
// In order: eventSourceByOperation, eventSourceByPrefix, then the dotted-prefix rule, then the
// general rule.
//
// The dotted-prefix rule: an endpoint prefix with a dot in it (api.ecr, streams.dynamodb,
// query.timestream) is a host name, not a service name, and CloudTrail records such services
// under their signing name, lowercased. Verified for api.sagemaker, api.ecr, api.ecr-public,
// api.detective, api.iotdeviceadvisor, api.tunneling.iot (iotsecuredtunneling),
// query.timestream and ingest.timestream, controlplane.payment-cryptography and
// dataplane.payment-cryptography, admin.wickr and data.qapps (the EventBridge reference's
// pages), featurestore-runtime.sagemaker (the SageMaker developer guide's PutRecord example)
// and models.lex (the Lex developer guide's PutBot example); the dotted prefixes it does not fit
// are in eventSourceByPrefix. When the signing name is shared by unrelated services
// (sharedSigningNames) the dots become hyphens instead, as in the verified metering.marketplace
// (metering-marketplace) and metrics.sagemaker (metrics-sagemaker); that is inferred for
// entitlement.marketplace and participant.connect, which no CloudTrail documentation covers.
//
// The general rule is the CloudTrail user guide's: the event source is "a short form of the
// service name without spaces plus .amazonaws.com", which botocore's endpoint prefix is. It
// also gives the exception that guide names, CloudWatch's monitoring.amazonaws.com, whose
// endpoint prefix is monitoring.
func eventSource(endpointPrefix, signingName, op string) string {
	if s, ok := eventSourceByOperation[opKey{endpointPrefix, op}]; ok {
		return s
	}
	if s, ok := eventSourceByPrefix[endpointPrefix]; ok {
		return s
	}
	label := endpointPrefix
	if strings.Contains(label, ".") {
		if signingName != "" && !sharedSigningNames[signingName] {
			label = strings.ToLower(signingName)
		} else {
			label = strings.ReplaceAll(label, ".", "-")
		}
	}
	return label + ".amazonaws.com"
}

// eventNameByOperation maps an operation, keyed by endpointPrefix and operation name, to the
// eventName CloudTrail records for it where the two differ.
//
// Verified: the S3 user guide's "Amazon S3 CloudTrail events" lists the event names of the
// account-level actions ("The CloudTrail event names differ from the API action name. For
// example, DeletePublicAccessBlock is DeleteAccountPublicAccessBlock") and of the bucket-level
// actions ("PutBucketLifecycleConfiguration is PutBucketLifecycle"). That list names
// GetBucketLifecycle, GetBucketNotification, PutBucketNotification, GetAccelerateConfiguration,
// PutAccelerateConfiguration, Get/PutBucketObjectLockConfiguration and
// Get/Put/DeleteBucketPublicAccessBlock and none of the operation names mapped to them here.
var eventNameByOperation = map[opKey]string{
	{"s3", "GetBucketAccelerateConfiguration"}:   "GetAccelerateConfiguration",
	{"s3", "PutBucketAccelerateConfiguration"}:   "PutAccelerateConfiguration",
	{"s3", "GetBucketLifecycleConfiguration"}:    "GetBucketLifecycle",
	{"s3", "PutBucketLifecycleConfiguration"}:    "PutBucketLifecycle",
	{"s3", "GetBucketNotificationConfiguration"}: "GetBucketNotification",
	{"s3", "PutBucketNotificationConfiguration"}: "PutBucketNotification",
	{"s3", "GetObjectLockConfiguration"}:         "GetBucketObjectLockConfiguration",
	{"s3", "PutObjectLockConfiguration"}:         "PutBucketObjectLockConfiguration",
	{"s3", "GetPublicAccessBlock"}:               "GetBucketPublicAccessBlock",
	{"s3", "PutPublicAccessBlock"}:               "PutBucketPublicAccessBlock",
	{"s3", "DeletePublicAccessBlock"}:            "DeleteBucketPublicAccessBlock",
	{"s3-control", "GetPublicAccessBlock"}:       "GetAccountPublicAccessBlock",
	{"s3-control", "PutPublicAccessBlock"}:       "PutAccountPublicAccessBlock",
	{"s3-control", "DeletePublicAccessBlock"}:    "DeleteAccountPublicAccessBlock",
}

// eventName returns the CloudTrail eventName of operation op of a service with the given
// endpointPrefix.
func eventName(endpointPrefix, op string) string {
	if n, ok := eventNameByOperation[opKey{endpointPrefix, op}]; ok {
		return n
	}
	return op
}

// readOnlyVerbs are the leading words of the operations CloudTrail records as read-only
// (readOnly true, "The operation is read-only (for example, DescribeTrails)", CloudTrail record
// contents). AWS publishes no list; this is the naming convention that the classification
// follows. Checked against records: every Get, List and Describe example in the KMS developer
// guide's CloudTrail pages is read-only, and every Create, Delete, Put, Update, Enable,
// Disable, Import, Replicate, Rotate, Schedule, Cancel, Tag and Untag example there, and the
// CloudTrail user guide's StartLogging, is not; a LookupEvents output shows LookupEvents,
// DescribeInstances and ListClusters read-only. The other verbs (Head, Search, BatchGet,
// BatchDescribe, Query, Scan, Select) are retrieval verbs classed by name only.
var readOnlyVerbs = []string{
	"BatchDescribe", "BatchGet", "Describe", "Get", "Head", "List", "Lookup",
	"Query", "Scan", "Search", "Select",
}

// readOnlyByEvent overrides readOnlyVerbs for single operations, keyed by CloudTrail
// eventSource and eventName.
var readOnlyByEvent = map[opKey]bool{
	// KMS records its cryptographic operations as read-only: they use a key without changing
	// it. Verified: the KMS developer guide's CloudTrail examples for each of these show
	// "readOnly": true. (DeriveSharedSecret has no example there and keeps the naming rule.)
	{"kms.amazonaws.com", "Decrypt"}:                             true,
	{"kms.amazonaws.com", "Encrypt"}:                             true,
	{"kms.amazonaws.com", "GenerateDataKey"}:                     true,
	{"kms.amazonaws.com", "GenerateDataKeyPair"}:                 true,
	{"kms.amazonaws.com", "GenerateDataKeyPairWithoutPlaintext"}: true,
	{"kms.amazonaws.com", "GenerateDataKeyWithoutPlaintext"}:     true,
	{"kms.amazonaws.com", "GenerateMac"}:                         true,
	{"kms.amazonaws.com", "GenerateRandom"}:                      true,
	{"kms.amazonaws.com", "ReEncrypt"}:                           true,
	{"kms.amazonaws.com", "Sign"}:                                true,
	{"kms.amazonaws.com", "Verify"}:                              true,
	{"kms.amazonaws.com", "VerifyMac"}:                           true,
	// STS records role assumption as read-only: it issues credentials without changing any
	// resource. AssumeRole is verified by a record captured from a real account (LookupEvents
	// output, "readOnly": true); the other three are inferred from it (same service, same kind
	// of call).
	// GetSessionToken, GetFederationToken and GetCallerIdentity follow the naming rule.
	{"sts.amazonaws.com", "AssumeRole"}:                true,
	{"sts.amazonaws.com", "AssumeRoleWithSAML"}:        true,
	{"sts.amazonaws.com", "AssumeRoleWithWebIdentity"}: true,
	{"sts.amazonaws.com", "AssumeRoot"}:                true,
}

// readOnly reports whether CloudTrail records eventName of eventSource as read-only.
func readOnly(eventSource, eventName string) bool {
	if ro, ok := readOnlyByEvent[opKey{eventSource, eventName}]; ok {
		return ro
	}
	for _, verb := range readOnlyVerbs {
		if hasVerb(eventName, verb) {
			return true
		}
	}
	return false
}

// hasVerb reports whether name starts with the word verb: verb followed by the end of the name
// or by the next word's capital letter, so that Get matches GetTrail and Get but not Getaway.
func hasVerb(name, verb string) bool {
	rest, ok := strings.CutPrefix(name, verb)
	return ok && (rest == "" || 'A' <= rest[0] && rest[0] <= 'Z')
}
