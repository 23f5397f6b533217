"""lookout StopLogging remediation: restart a CloudTrail trail someone stopped.

Deployed by `lookout fix --apply` as the function lookout-stoplogging-remediation in a trail's
home region, behind an EventBridge rule on cloudtrail:StopLogging for that trail (the StopLogging
auto-remediation design: EventBridge rule on StopLogging → Lambda → StartLogging). CloudTrail
accepts StartLogging only in the trail's home region, which is also where the StopLogging event
arrives, so the function calls CloudTrail in the event's region.

The event names the trail as the caller did: by name or by ARN. A trail of this account is
restarted by its name (the form every CloudTrail endpoint accepts in the home region); a trail
of another account (an organization trail) by its ARN. Nothing else is ever changed.

The function returns what it did, and raises on failure so that the invocation is recorded as
an error (and retried by EventBridge).
"""

import json
import logging

import boto3

LOG = logging.getLogger()
LOG.setLevel(logging.INFO)


def trail_identifier(name, account):
    """The name to pass to StartLogging for the trail the event names."""
    if name.startswith("arn:"):
        # arn:PARTITION:cloudtrail:REGION:ACCOUNT:trail/NAME
        parts = name.split(":", 5)
        if len(parts) == 6 and parts[4] == account and parts[5].startswith("trail/"):
            return parts[5][len("trail/"):]
    return name


def lambda_handler(event, context):
    detail = event.get("detail") or {}
    if detail.get("eventSource") != "cloudtrail.amazonaws.com" or detail.get("eventName") != "StopLogging":
        LOG.info("ignoring event that is not cloudtrail:StopLogging: %s", json.dumps(event)[:500])
        return {"restarted": None, "reason": "not a StopLogging event"}
    if detail.get("errorCode"):
        # The StopLogging call itself failed: the trail is still logging.
        return {"restarted": None, "reason": "StopLogging failed: " + str(detail.get("errorCode"))}
    name = (detail.get("requestParameters") or {}).get("name")
    if not name:
        raise ValueError("StopLogging event without requestParameters.name")
    region = detail.get("awsRegion") or event.get("region")
    account = event.get("account") or detail.get("recipientAccountId") or ""
    trail = trail_identifier(name, account)
    client = boto3.client("cloudtrail", region_name=region)
    client.start_logging(Name=trail)
    status = client.get_trail_status(Name=trail)
    LOG.info("StopLogging on %s by %s: logging restarted (IsLogging=%s)",
             name, (detail.get("userIdentity") or {}).get("arn"), status.get("IsLogging"))
    return {"restarted": trail, "region": region, "is_logging": bool(status.get("IsLogging"))}
