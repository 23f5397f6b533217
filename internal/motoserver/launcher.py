"""Start moto_server for lookout's tests, with the AWS APIs moto 5.2.1 lacks added in.

Usage: python3 launcher.py PORT

moto is the AWS emulator lookout's integration tests run against. Where an API that lookout
reads is beyond moto 5.2.1's coverage, it is added here, on moto's own backends, so that the
Go SDK still makes the real call over HTTP. Keep each extension small and faithful to the AWS
API reference.
"""
import fnmatch
import sys


def install_extensions():
    """Register lookout's extensions on moto's backends. Each returns quietly if moto grows
    the API itself."""
    # Extensions (SSM DescribeInstanceInformation, associations, ...) are added here.
    install_sns_pending_confirmation()
    install_logs_put_metric_filter_replaces()
    install_ssm_extensions()
    install_logs_ingestion_time()
    install_sts_trust_policy()
    install_cloudwatch_alarm_history()
    install_iam_instance_role_policies()
    install_ec2_default_security_group()
    install_cloudtrail_default_selectors()
    install_lambda_zero_reserved_concurrency()
    install_cloudwatch_put_composite_alarm()
    install_cloudwatch_metric_data_exact()
    install_events_test_event_pattern()
    install_logs_test_metric_filter_double()
    install_resourcegroups_list_group_resources()
    install_cloudtrail_stoplogging_to_eventbridge()
    install_run_shell_script_syslog()
    install_logs_metric_filters_to_alarms()


def install_sns_pending_confirmation():
    """moto confirms every SNS subscription at once. AWS keeps an email, email-json, http or
    https subscription "PendingConfirmation" until its endpoint confirms, so an endpoint that
    can never receive the confirmation stays pending forever. Model that for endpoints in the
    reserved .invalid top-level domain (RFC 2606): nothing there can ever confirm, in AWS or
    here. Every other endpoint keeps moto's behaviour (confirmed at once)."""
    from urllib.parse import urlparse
    from moto.sns import models

    def unreachable(protocol, endpoint):
        if protocol in ("email", "email-json"):
            host = endpoint.rpartition("@")[2]
        elif protocol in ("http", "https"):
            host = urlparse(endpoint).hostname or ""
        else:
            return False
        return host.lower().rstrip(".").endswith(".invalid")

    original = models.SNSBackend.subscribe

    def subscribe(self, topic_arn, endpoint, protocol):
        sub = original(self, topic_arn, endpoint, protocol)
        if unreachable(protocol, endpoint):
            sub.confirmed = False
            # The serializer prefers subscription_arn over arn for SubscriptionArn.
            sub.subscription_arn = "PendingConfirmation"
            sub.attributes["PendingConfirmation"] = "true"
        return sub

    models.SNSBackend.subscribe = subscribe


# ---- SSM: managed instances, State Manager associations, ListCommandInvocations ----
#
# moto 5.2.1 has Run Command but no fleet: DescribeInstanceInformation, the association APIs and
# ListCommandInvocations are missing, and SendCommand with only InstanceIds runs on every
# instance of the region. Managed instances are derived from EC2, as SSM would see them: a
# running or stopped EC2 instance that has an instance profile (the SSM Agent's credentials).
#
# An instance profile counts only if its role lets the agent register, as in AWS: the role has
# AmazonSSMManagedInstanceCore or AmazonEC2RoleforSSM attached, or an inline policy allowing
# ssm:UpdateInstanceInformation (or ssm:*, or *). A profile without a role, or whose role lacks
# these, gives an unmanaged instance.
#
# Test hooks, as EC2 instance tags (real AWS has no such tags; they stand in for the state of
# the SSM Agent on the box, which an emulator cannot have):
#   ssm:managed=true                 managed without an instance profile
#   ssm:ping=ConnectionLost|Inactive PingStatus (default Online; a stopped instance is ConnectionLost)
#   ssm:platform-name, ssm:platform-version   default: derived from the AMI name or platform
#   ssm:command-status=Failed        Run Command invocations and association runs on it fail

# AMI name fragment -> (PlatformName, PlatformVersion) as DescribeInstanceInformation reports them.
AMI_PLATFORMS = (
    ("ubuntu", ("Ubuntu", "22.04")),
    ("debian", ("Debian GNU/Linux", "12")),
    ("al2023", ("Amazon Linux", "2023")),
    ("amzn2", ("Amazon Linux", "2")),
    ("rhel", ("Red Hat Enterprise Linux", "9.4")),
    ("suse", ("SLES", "15.5")),
)


def _page(items, response, default_max=50):
    """Slice items by the request's MaxResults/NextToken (the token is the next index)."""
    start = int(response._get_param("NextToken") or 0)
    size = int(response._get_param("MaxResults") or default_max)
    page = items[start:start + size]
    token = str(start + size) if start + size < len(items) else None
    return page, token


def _instance_tags(ec2, instance_id):
    return {t["key"]: t["value"] for t in ec2.describe_tags(filters={"resource-id": [instance_id]})}


SSM_CORE_POLICIES = ("AmazonSSMManagedInstanceCore", "AmazonEC2RoleforSSM")


def _profile_grants_ssm(account_id, region, profile_arn):
    """Whether the role of an instance profile lets the SSM Agent register (see above)."""
    import json
    from moto.iam.models import iam_backends
    from moto.utilities.utils import get_partition
    iam = iam_backends[account_id][get_partition(region)]
    profile = next((p for p in iam.get_instance_profiles() if p.arn == profile_arn), None)
    if profile is None:
        return False

    def listed(v):
        return v if isinstance(v, list) else [v]

    for role in profile.roles:
        for policy in role.managed_policies.values():
            if policy.arn.split(":")[4] == "aws" and policy.name in SSM_CORE_POLICIES:
                return True
        for doc in role.policies.values():
            for st in listed(json.loads(doc).get("Statement", [])):
                if st.get("Effect") == "Allow" and any(
                        a in ("*", "ssm:*", "ssm:UpdateInstanceInformation") for a in listed(st.get("Action", []))):
                    return True
    return False


def _instance_profile_arn(ec2, inst):
    """The ARN of the instance's profile: an association, or the one it was launched with."""
    assoc = ec2.iam_instance_profile_associations.get(inst.id)
    if assoc is not None:
        return assoc.iam_instance_profile.arn
    profile = inst.iam_instance_profile
    if isinstance(profile, dict):
        return profile.get("Arn")
    return getattr(profile, "arn", None)


def _managed_instances(account_id, region):
    """The SSM view of a region's EC2 instances, in DescribeInstanceInformation's shape."""
    from moto.ec2.models import ec2_backends
    ec2 = ec2_backends[account_id][region]
    out = []
    for inst in ec2.all_instances():
        state = inst._state.name
        if state not in ("running", "stopped", "stopping", "pending"):
            continue
        tags = _instance_tags(ec2, inst.id)
        profile_arn = _instance_profile_arn(ec2, inst)
        has_profile = bool(profile_arn) and _profile_grants_ssm(account_id, region, profile_arn)
        if not has_profile and tags.get("ssm:managed") != "true":
            continue
        if inst.platform == "windows":
            ptype, pname, pversion = "Windows", "Microsoft Windows Server 2022 Datacenter", "10.0.20348"
        else:
            ptype, pname, pversion = "Linux", "Amazon Linux", "2"
            amis = ec2.describe_images(filters={"image-id": inst.image_id})
            ami_name = (amis[0].name or "").lower() if amis else ""
            for fragment, platform in AMI_PLATFORMS:
                if fragment in ami_name:
                    pname, pversion = platform
                    break
        ping = tags.get("ssm:ping") or ("Online" if state == "running" else "ConnectionLost")
        out.append({
            "InstanceId": inst.id,
            "PingStatus": ping,
            "LastPingDateTime": inst.launch_time,
            "AgentVersion": "3.3.1142.0",
            "IsLatestVersion": True,
            "PlatformType": ptype,
            "PlatformName": tags.get("ssm:platform-name", pname),
            "PlatformVersion": tags.get("ssm:platform-version", pversion),
            "ResourceType": "EC2Instance",
            "IPAddress": inst.private_ip,
            "ComputerName": inst.private_dns_name,
            "_tags": tags,
        })
    return out


def _public(mi):
    return {k: v for k, v in mi.items() if not k.startswith("_")}


def _instance_filter_matches(mi, key, values):
    if key == "InstanceIds":
        return mi["InstanceId"] in values
    if key == "PingStatus":
        return mi["PingStatus"] in values
    if key == "PlatformTypes":
        return mi["PlatformType"] in values
    if key == "ResourceType":
        return mi["ResourceType"] in values
    if key == "tag-key":
        return any(v in mi["_tags"] for v in values)
    if key.startswith("tag:"):
        return mi["_tags"].get(key[4:]) in values
    return True


def _targets_match(mi, targets):
    """Whether State Manager / Run Command targets select this managed instance."""
    for t in targets or []:
        key, values = t.get("Key", ""), t.get("Values", [])
        if key == "InstanceIds" and ("*" in values or mi["InstanceId"] in values):
            return True
        if key == "tag-key" and any(v in mi["_tags"] for v in values):
            return True
        if key.startswith("tag:") and mi["_tags"].get(key[4:]) in values:
            return True
    return False


def _fails(mi):
    return mi["_tags"].get("ssm:command-status") == "Failed"


def install_ssm_extensions():
    from moto.core.exceptions import JsonRESTError
    from moto.core.responses import ActionResult
    from moto.core.utils import utcnow
    from moto.ssm import models as ssm_models
    from moto.ssm.exceptions import ValidationException
    from moto.ssm.responses import SimpleSystemManagerResponse as R

    if hasattr(R, "describe_instance_information"):
        return

    def managed(self):
        return _managed_instances(self.current_account, self.region)

    def describe_instance_information(self):
        items = managed(self)
        for f in self._get_param("InstanceInformationFilterList") or []:
            items = [mi for mi in items if _instance_filter_matches(mi, f["key"], f.get("valueSet", []))]
        for f in self._get_param("Filters") or []:
            items = [mi for mi in items if _instance_filter_matches(mi, f["Key"], f.get("Values", []))]
        items.sort(key=lambda mi: mi["InstanceId"])
        page, token = _page(items, self)
        return ActionResult({"InstanceInformationList": [_public(mi) for mi in page], "NextToken": token})

    # Associations live on the SSM backend object, so /moto-api/reset clears them.
    def store(self):
        backend = self.ssm_backend
        if not hasattr(backend, "lookout_associations"):
            backend.lookout_associations = {}
        return backend.lookout_associations

    def describe(self, a):
        targets = a["Targets"] or ([{"Key": "InstanceIds", "Values": [a["InstanceId"]]}] if a.get("InstanceId") else [])
        hit = [mi for mi in managed(self) if _targets_match(mi, targets)]
        failed = sum(1 for mi in hit if _fails(mi))
        status = "Pending" if not hit else ("Failed" if failed else "Success")
        counts = {}
        if failed:
            counts["Failed"] = failed
        if len(hit) - failed:
            counts["Success"] = len(hit) - failed
        d = dict(a)
        d["Overview"] = {"Status": status, "DetailedStatus": status, "AssociationStatusAggregatedCount": counts}
        d["LastExecutionDate"] = a["Date"] if hit else None
        return {k: v for k, v in d.items() if v not in (None, "", [], {})}

    def create_association(self):
        name = self._get_param("Name")
        targets = self._get_param("Targets") or []
        instance_id = self._get_param("InstanceId")
        if not name or not (targets or instance_id):
            raise ValidationException("CreateAssociation needs Name and Targets or InstanceId")
        now = utcnow()
        a = {
            "AssociationId": str(ssm_models.random.uuid4()),
            "AssociationVersion": "1",
            "AssociationName": self._get_param("AssociationName"),
            "Name": name,
            "InstanceId": instance_id,
            "DocumentVersion": self._get_param("DocumentVersion") or "$DEFAULT",
            "Parameters": self._get_param("Parameters") or {},
            "Targets": targets,
            "ScheduleExpression": self._get_param("ScheduleExpression"),
            "Date": now,
            "LastUpdateAssociationDate": now,
        }
        store(self)[a["AssociationId"]] = a
        return ActionResult({"AssociationDescription": describe(self, a)})

    def find(self):
        a = store(self).get(self._get_param("AssociationId"))
        if a is None:
            name, iid = self._get_param("Name"), self._get_param("InstanceId")
            a = next((x for x in store(self).values() if name and x["Name"] == name and x.get("InstanceId") == iid), None)
        if a is None:
            raise JsonRESTError("AssociationDoesNotExist", "The specified association does not exist.")
        return a

    def describe_association(self):
        return ActionResult({"AssociationDescription": describe(self, find(self))})

    def delete_association(self):
        del store(self)[find(self)["AssociationId"]]
        return ActionResult({})

    def list_associations(self):
        items = sorted(store(self).values(), key=lambda a: a["Date"])
        for f in self._get_param("AssociationFilterList") or []:
            if f["key"] in ("Name", "AssociationId", "AssociationName", "InstanceId"):
                items = [a for a in items if a.get(f["key"]) == f["value"]]
        page, token = _page(items, self)
        listed = []
        for a in page:
            d = describe(self, a)
            # ListAssociations does not return Parameters: DescribeAssociation does.
            listed.append({k: d[k] for k in ("Name", "InstanceId", "AssociationId", "AssociationVersion",
                                             "DocumentVersion", "Targets", "LastExecutionDate", "Overview",
                                             "ScheduleExpression", "AssociationName") if k in d})
        return ActionResult({"Associations": listed, "NextToken": token})

    def list_commands(self):
        commands = self.ssm_backend.list_commands(self._get_param("CommandId"), self._get_param("InstanceId"))
        for f in self._get_param("Filters") or []:
            if f["key"] == "DocumentName":
                commands = [c for c in commands if c.document_name == f["value"]]
            elif f["key"] == "Status":
                commands = [c for c in commands if c.status == f["value"]]
        commands = sorted(commands, key=lambda c: c.requested_date_time, reverse=True)
        page, token = _page(commands, self)
        return ActionResult({"Commands": [c.response_object() for c in page], "NextToken": token})

    def list_command_invocations(self):
        command_id, instance_id = self._get_param("CommandId"), self._get_param("InstanceId")
        rows = []
        for c in self.ssm_backend.list_commands(command_id, None):
            for inv in c.invocations:
                if not instance_id or inv["InstanceId"] == instance_id:
                    rows.append((c, inv))
        for f in self._get_param("Filters") or []:
            if f["key"] == "DocumentName":
                rows = [r for r in rows if r[0].document_name == f["value"]]
            elif f["key"] == "Status":
                rows = [r for r in rows if r[1]["Status"] == f["value"]]
        rows.sort(key=lambda r: r[0].requested_date_time, reverse=True)
        page, token = _page(rows, self)
        out = []
        for c, inv in page:
            item = {
                "CommandId": c.command_id,
                "InstanceId": inv["InstanceId"],
                "Comment": c.comment,
                "DocumentName": c.document_name,
                "DocumentVersion": "$DEFAULT",
                "RequestedDateTime": c.requested_date_time,
                "Status": inv["Status"],
                "StatusDetails": inv["StatusDetails"],
            }
            if self._get_param("Details"):
                item["CommandPlugins"] = [{"Name": inv["PluginName"], "Status": inv["Status"],
                                           "ResponseCode": inv["ResponseCode"]}]
            out.append(item)
        return ActionResult({"CommandInvocations": out, "NextToken": token})

    # SSM Inventory (PutInventory, ListInventoryEntries), which moto 5.2.1 does not model.
    # As AWS: PutInventory takes the items of a managed node (InvalidInstanceId otherwise), one
    # per TypeName, the latest replacing the earlier; ListInventoryEntries answers one node's
    # item of one type — CaptureTime and SchemaVersion of the item, and its Content rows that
    # pass every filter (Key TYPE.Attribute or Attribute; Type Equal, NotEqual, BeginWith; the
    # values OR-ed) — paged by MaxResults (at most 50). A node without that item answers no
    # entries and no CaptureTime. The store lives on the SSM backend, so /moto-api/reset
    # clears it.
    def inventory(self):
        backend = self.ssm_backend
        if not hasattr(backend, "lookout_inventory"):
            backend.lookout_inventory = {}
        return backend.lookout_inventory

    def managed_node(self, instance_id):
        if not any(mi["InstanceId"] == instance_id for mi in managed(self)):
            raise JsonRESTError("InvalidInstanceId", "Instance %s is not a managed node." % instance_id)

    def put_inventory(self):
        instance_id = self._get_param("InstanceId")
        managed_node(self, instance_id)
        items = self._get_param("Items") or []
        if not items:
            raise ValidationException("PutInventory needs at least one item")
        for item in items:
            if not item.get("TypeName") or not item.get("SchemaVersion") or not item.get("CaptureTime"):
                raise ValidationException("each inventory item needs TypeName, SchemaVersion and CaptureTime")
            inventory(self).setdefault(instance_id, {})[item["TypeName"]] = {
                "SchemaVersion": item["SchemaVersion"], "CaptureTime": item["CaptureTime"],
                "Content": item.get("Content") or []}
        return ActionResult({"Message": "Success"})

    def row_passes(row, type_name, f):
        key = f.get("Key", "")
        if key.startswith(type_name + "."):
            key = key[len(type_name) + 1:]
        value, values, op = row.get(key), f.get("Values") or [], f.get("Type") or "Equal"
        if op == "Equal":
            return value in values
        if op == "NotEqual":
            return value not in values
        if op == "BeginWith":
            return value is not None and any(value.startswith(v) for v in values)
        raise ValidationException("unsupported inventory filter type %s" % op)

    def list_inventory_entries(self):
        instance_id, type_name = self._get_param("InstanceId"), self._get_param("TypeName")
        managed_node(self, instance_id)
        item = inventory(self).get(instance_id, {}).get(type_name)
        out = {"InstanceId": instance_id, "TypeName": type_name, "Entries": []}
        if item is None:
            return ActionResult(out)
        rows = [r for r in item["Content"] if all(row_passes(r, type_name, f) for f in self._get_param("Filters") or [])]
        page, token = _page(rows, self)
        out.update(SchemaVersion=item["SchemaVersion"], CaptureTime=item["CaptureTime"], Entries=page, NextToken=token)
        return ActionResult(out)

    for f in (describe_instance_information, create_association, describe_association,
              delete_association, list_associations, list_commands, list_command_invocations,
              put_inventory, list_inventory_entries):
        setattr(R, f.__name__, f)

    # SendCommand with only InstanceIds: moto turns the empty Targets into an unfiltered EC2
    # query and runs the command on every instance of the region.
    original_targets = ssm_models.Command._get_instance_ids_from_targets

    def instance_ids_from_targets(self):
        return original_targets(self) if self.targets else []

    ssm_models.Command._get_instance_ids_from_targets = instance_ids_from_targets

    # Invocations on an instance tagged ssm:command-status=Failed fail, as they would on an
    # agent that cannot read its configuration.
    original_init = ssm_models.Command.__init__

    def command_init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        from moto.ec2.models import ec2_backends
        ec2 = ec2_backends[self.account_id][self.backend_region]
        for inv in self.invocations:
            if _instance_tags(ec2, inv["InstanceId"]).get("ssm:command-status") == "Failed":
                inv.update(Status="Failed", StatusDetails="Failed", ResponseCode=1)
                self.error_count += 1
        if self.error_count:
            self.status = self.status_details = "Failed"

    ssm_models.Command.__init__ = command_init


def install_logs_put_metric_filter_replaces():
    """AWS PutMetricFilter creates or updates: a filter with the name of an existing filter on
    the same log group replaces it. moto 5.2.1 appends a second filter instead, so a test that
    changes a filter's pattern would still see the old one."""
    from moto.logs import metric_filters
    original = metric_filters.MetricFilters.add_filter
    if getattr(original, "lookout_patched", False):
        return

    def add_filter(self, filter_name, filter_pattern, log_group_name, metric_transformations):
        self.metric_filters = [f for f in self.metric_filters
                               if not (f["filterName"] == filter_name and f["logGroupName"] == log_group_name)]
        original(self, filter_name, filter_pattern, log_group_name, metric_transformations)

    add_filter.lookout_patched = True
    metric_filters.MetricFilters.add_filter = add_filter


def install_logs_ingestion_time():
    """moto's PutLogEvents stamps lastIngestionTime with the current time, so a stream fed
    events from days ago looks fresh. Here a batch whose newest event lies in the past counts as
    ingested when that event was written, so a test can build a stale stream."""
    from moto.logs import models as logs_models
    original = logs_models.LogStream.put_log_events
    if getattr(original, "lookout_patched", False):
        return

    def put_log_events(self, log_events):
        token = original(self, log_events)
        if log_events:
            newest = max(e["timestamp"] for e in log_events)
            if newest < self.last_ingestion_time:
                self.last_ingestion_time = newest
        return token

    put_log_events.lookout_patched = True
    logs_models.LogStream.put_log_events = put_log_events


def install_sts_trust_policy():
    """moto lets anyone assume any role. AWS refuses sts:AssumeRole unless the role's trust
    policy allows the caller. Model that for roles that exist: AccessDenied unless an Allow
    statement for sts:AssumeRole names the caller's account (id, :root ARN or any principal ARN
    in it) or "*". A role that does not exist keeps moto's behaviour (assumable), so tests that
    only want to switch accounts need not create one."""
    import json
    from moto.iam.models import iam_backends
    from moto.sts.exceptions import STSClientError
    from moto.sts.responses import TokenResponse

    original = TokenResponse.assume_role
    if getattr(original, "lookout_patched", False):
        return

    def listed(v):
        return v if isinstance(v, list) else [v]

    def allows(doc, caller):
        for st in listed(json.loads(doc).get("Statement", [])):
            if st.get("Effect") != "Allow":
                continue
            if not any(a in ("sts:AssumeRole", "sts:*", "*") for a in listed(st.get("Action", []))):
                continue
            principal = st.get("Principal", {})
            if principal == "*":
                return True
            for p in listed(principal.get("AWS", []) if isinstance(principal, dict) else []):
                if p in ("*", caller) or p.startswith("arn:aws:iam::%s:" % caller):
                    return True
        return False

    def assume_role(self):
        role_arn = self._get_param("RoleArn") or ""
        parts = role_arn.split(":", 5)
        if len(parts) == 6 and parts[5].startswith("role/"):
            name = parts[5].rsplit("/", 1)[-1]
            backend = iam_backends[parts[4]][parts[1]]
            role = next((r for r in backend.get_roles() if r.name == name), None)
            if role is not None and not allows(role.assume_role_policy_document, self.current_account):
                raise STSClientError(
                    "AccessDenied",
                    "User: arn:aws:iam::%s:root is not authorized to perform: sts:AssumeRole on resource: %s"
                    % (self.current_account, role_arn))
        return original(self)

    assume_role.lookout_patched = True
    TokenResponse.assume_role = assume_role


# ---- CloudWatch: DescribeAlarmHistory, with the Action items an alarm's actions leave ----
#
# moto 5.2.1 has no DescribeAlarmHistory, and its alarms never run their actions. AWS records a
# StateUpdate item for every state change and, when actions are enabled, an Action item for
# every action the new state runs: "Successfully executed action ARN" or "Failed to execute
# action ARN. Received error: ...". Model that on SetAlarmState (the only way an alarm changes
# state in moto) for SNS actions: the action succeeds when the topic exists in the alarm's
# account and region, and fails with "Topic does not exist" otherwise. A succeeded action's
# notification is counted as delivered to each confirmed subscription (AWS/SNS
# NumberOfNotificationsDelivered). Other kinds of action
# (Auto Scaling, EC2, Systems Manager, Lambda) leave no Action item here.


def _alarm_history(backend):
    """The history items of a CloudWatch backend (kept on it, so /moto-api/reset clears them)."""
    if not hasattr(backend, "lookout_alarm_history"):
        backend.lookout_alarm_history = []
    return backend.lookout_alarm_history


def install_cloudwatch_alarm_history():
    import json
    from datetime import timezone
    from moto.cloudwatch import models as cw_models
    from moto.cloudwatch.responses import CloudWatchResponse as R
    from moto.core.responses import ActionResult
    from moto.core.utils import utcnow

    if hasattr(R, "describe_alarm_history"):
        return

    def epoch_ms(dt):
        return int(dt.replace(tzinfo=timezone.utc).timestamp() * 1000)

    def naive_utc(dt):
        """moto keeps naive UTC datetimes; the parsed StartDate/EndDate may be aware."""
        if dt is None or dt.tzinfo is None:
            return dt
        return dt.astimezone(timezone.utc).replace(tzinfo=None)

    def topic_exists(account_id, region, arn):
        from moto.sns.models import sns_backends
        parts = arn.split(":")
        if len(parts) != 6 or parts[3] != region or parts[4] != account_id:
            return False
        return arn in sns_backends[account_id][region].topics

    def notify_subscribers(cw, arn, now):
        """The ALARM notification goes to the topic's confirmed subscriptions (SNS delivers to
        nothing pending): SNS's AWS/SNS NumberOfNotificationsDelivered (TopicName) counts them,
        in the minute of the notification, and none is published for a topic without one."""
        from moto.sns.models import sns_backends
        subs = [s for s in sns_backends[cw.account_id][cw.region_name].subscriptions.values()
                if s.topic.arn == arn and s.attributes.get("PendingConfirmation") != "true"]
        if subs:
            cw.metric_data.append(cw_models.MetricDatum(
                namespace="AWS/SNS", name="NumberOfNotificationsDelivered", value=float(len(subs)),
                dimensions=[{"Name": "TopicName", "Value": arn.split(":")[5]}], timestamp=now))

    original = cw_models.CloudWatchBackend.set_alarm_state

    def set_alarm_state(self, alarm_name, reason, reason_data, state_value):
        alarm = self.alarms.get(alarm_name)
        old = alarm.state_value if alarm is not None else None
        original(self, alarm_name, reason, reason_data, state_value)
        if alarm is None or old == state_value:
            return  # AWS records (and acts on) transitions only
        now = alarm.state_updated_timestamp or utcnow()
        history = _alarm_history(self)
        history.append({
            "AlarmName": alarm.name, "AlarmType": "MetricAlarm", "Timestamp": now,
            "HistoryItemType": "StateUpdate",
            "HistorySummary": "Alarm updated from %s to %s" % (old, state_value),
            "HistoryData": json.dumps({"version": "1.0", "oldState": {"stateValue": old},
                                       "newState": {"stateValue": state_value, "stateReason": reason}}),
        })
        if not alarm.actions_enabled:
            return
        actions = {"ALARM": alarm.alarm_actions, "OK": alarm.ok_actions,
                   "INSUFFICIENT_DATA": alarm.insufficient_data_actions}[state_value] or []
        for arn in actions:
            if not arn.startswith("arn:aws:sns:"):
                continue
            if topic_exists(self.account_id, self.region_name, arn):
                summary = "Successfully executed action %s" % arn
                data = {"actionState": "Succeeded", "notificationResource": arn}
                notify_subscribers(self, arn, now)
            else:
                summary = 'Failed to execute action %s. Received error: "Topic does not exist"' % arn
                data = {"actionState": "Failed", "notificationResource": arn, "error": "Topic does not exist"}
            data["stateUpdateTimestamp"] = epoch_ms(now)
            history.append({
                "AlarmName": alarm.name, "AlarmType": "MetricAlarm", "Timestamp": now,
                "HistoryItemType": "Action", "HistorySummary": summary, "HistoryData": json.dumps(data),
            })

    cw_models.CloudWatchBackend.set_alarm_state = set_alarm_state

    def describe_alarm_history(self):
        name = self._get_param("AlarmName")
        types = self._get_param("AlarmTypes") or ["MetricAlarm"]
        kind = self._get_param("HistoryItemType")
        start, end = naive_utc(self._get_param("StartDate")), naive_utc(self._get_param("EndDate"))
        items = []
        for i, item in enumerate(_alarm_history(self.cloudwatch_backend)):
            if name and item["AlarmName"] != name:
                continue
            if item["AlarmType"] not in types or (kind and item["HistoryItemType"] != kind):
                continue
            if (start is not None and item["Timestamp"] < start) or (end is not None and item["Timestamp"] > end):
                continue
            items.append((item["Timestamp"], i, item))
        # The order of insertion breaks ties between items of the same instant.
        items.sort(key=lambda t: (t[0], t[1]), reverse=self._get_param("ScanBy") != "TimestampAscending")
        # MaxRecords (1-100, default 50) and NextToken (here: the index of the next item).
        first = int(self._get_param("NextToken") or 0)
        size = int(self._get_param("MaxRecords") or 50)
        page = [dict(t[2]) for t in items[first:first + size]]
        token = str(first + size) if first + size < len(items) else None
        return ActionResult({"AlarmHistoryItems": page, "NextToken": token})

    R.describe_alarm_history = describe_alarm_history


def install_cloudwatch_metric_data_exact():
    """GetMetricData, for MetricStat queries, as AWS answers them: a metric is its namespace,
    name and exact set of dimensions (CloudWatch user guide, "Metrics concepts": "a metric is
    uniquely defined by a name, a namespace, and zero or more dimensions"). moto 5.2.1 drops
    the namespace from the match when dimensions are given, and matches any dimensions when
    none are; it also walks every period of the window for every query, which for two weeks at
    five minutes is thousands of passes over the data per query. Periods start at StartTime,
    only periods with data are returned, newest first unless ScanBy is TimestampAscending.
    Requests with expressions are left to moto."""
    from datetime import timedelta, timezone
    from moto.cloudwatch import models as cw_models

    original = cw_models.CloudWatchBackend.get_metric_data
    if getattr(original, "lookout_patched", False):
        return

    def naive(dt):
        if dt is None or dt.tzinfo is None:
            return dt
        return dt.astimezone(timezone.utc).replace(tzinfo=None)

    def get_metric_data(self, queries, start_time, end_time, scan_by="TimestampAscending"):
        if any("MetricStat" not in q for q in queries):
            return original(self, queries, start_time, end_time, scan_by)
        start, end = naive(start_time).replace(microsecond=0), naive(end_time).replace(microsecond=0)
        if start >= end:
            return original(self, queries, start_time, end_time, scan_by)  # moto's own validation errors
        data = [md for md in self.get_all_metrics() if start <= naive(md.timestamp) < end]
        results = []
        for q in queries:
            stat = q["MetricStat"]
            metric = stat["Metric"]
            delta = timedelta(seconds=int(stat["Period"]))
            dims = sorted((d["Name"], d["Value"]) for d in metric.get("Dimensions", []))
            unit = stat.get("Unit")
            buckets = {}
            for md in data:
                if md.namespace != metric["Namespace"] or md.name != metric["MetricName"]:
                    continue
                if sorted((d.name, d.value) for d in md.dimensions) != dims:
                    continue
                if unit and md.unit != unit:
                    continue
                buckets.setdefault((naive(md.timestamp) - start) // delta, []).append(md)
            values, stamps = [], []
            for i in sorted(buckets, reverse=scan_by != "TimestampAscending"):
                s = cw_models.Statistics([stat["Stat"]], start + i * delta)
                s.metric_data = buckets[i]
                values.append(s.get_statistics_for_type(stat["Stat"]))
                stamps.append(s.timestamp)
            if q.get("ReturnData", True):
                results.append({"id": q["Id"], "label": q.get("Label") or "%s %s" % (metric["MetricName"], stat["Stat"]),
                                "values": values, "timestamps": stamps, "status_code": "Complete"})
        return results

    get_metric_data.lookout_patched = True
    cw_models.CloudWatchBackend.get_metric_data = get_metric_data


def install_events_test_event_pattern():
    """events:TestEventPattern, answered with moto's own event pattern matcher (the one its rules
    use): moto 5.2.1 routes the call, but its backend raises NotImplementedError. As AWS does, the
    event must be a JSON object carrying id, account, source, time, region, resources and
    detail-type, else ValidationException; a malformed pattern is InvalidEventPatternException.
    Its answers are moto's matcher's, not AWS's."""
    import json
    from moto.core.exceptions import JsonRESTError
    from moto.events import responses as ev_responses
    from moto.events.models import EventPattern

    handler = ev_responses.EventsHandler
    if getattr(handler.test_event_pattern, "lookout_patched", False):
        return

    def test_event_pattern(self):
        pattern = self._get_param("EventPattern")
        try:
            event = json.loads(self._get_param("Event") or "")
        except ValueError:
            raise JsonRESTError("ValidationException", "Parameter Event is not valid.")
        required = ("id", "account", "source", "time", "region", "resources", "detail-type")
        if not isinstance(event, dict) or any(k not in event for k in required):
            raise JsonRESTError("ValidationException", "Parameter Event is not valid.")
        result = EventPattern.load(pattern).matches_event(event)
        return json.dumps({"Result": bool(result)}), self.response_headers

    test_event_pattern.lookout_patched = True
    handler.test_event_pattern = test_event_pattern


def install_logs_test_metric_filter_double():
    """logs:TestMetricFilter, as a TEST DOUBLE, not an evaluator: moto 5.2.1 has no such API and
    no filter pattern evaluator. This answers with moto's FilterLogEvents term matcher
    (moto.logs.utils.EventMessageFilter), which matches a message containing every word of a
    bare-term pattern or the text of a quoted one, and matches EVERY message for any other
    pattern (JSON `{ ... }`, space-delimited `[ ... ]`, `?`, `-`). Its answers stand for
    AWS's only in that shape (filterPattern at most 1,024 characters, 1-50 messages, matches by
    1-based eventNumber); tests use it to see lookout's second opinion ask, compare and report,
    including a disagreement planted by a pattern the double does not understand."""
    import json
    from moto.core.exceptions import JsonRESTError
    from moto.logs import responses as logs_responses
    from moto.logs.utils import EventMessageFilter

    handler = logs_responses.LogsResponse
    if hasattr(handler, "test_metric_filter"):
        return

    def test_metric_filter(self):
        pattern = self._get_param("filterPattern")
        messages = self._get_param("logEventMessages") or []
        if pattern is None or len(pattern) > 1024:
            raise JsonRESTError("InvalidParameterException", "filterPattern: Minimum length of 0. Maximum length of 1024.")
        if not 1 <= len(messages) <= 50:
            raise JsonRESTError("InvalidParameterException", "logEventMessages: Minimum of 1 item. Maximum of 50 items.")
        f = EventMessageFilter(pattern)
        matches = [{"eventNumber": i + 1, "eventMessage": m, "extractedValues": {}}
                   for i, m in enumerate(messages) if f.matches(m)]
        return json.dumps({"matches": matches})

    handler.test_metric_filter = test_metric_filter


def install_resourcegroups_list_group_resources():
    """resource-groups:ListGroupResources, which moto 5.2.1 routes nowhere (its handler raises
    NotImplementedError and no URL reaches it). For a CLOUDFORMATION_STACK_1_0 group, as AWS
    does, the members are the resources of the stack its query names (moto's CloudFormation
    backend), filtered by the query's ResourceTypeFilters (AWS::AllSupported admits every
    type), each as {ResourceArn, ResourceType}; an EC2 instance's ARN is
    arn:aws:ec2:REGION:ACCOUNT:instance/ID, and resources whose ARN moto does not give are
    left out. A tag-based group is refused (BadRequestException): lookout evaluates its query
    itself, and this launcher does not stand in for the tagging API."""
    import json
    from moto.cloudformation.models import cloudformation_backends
    from moto.core.exceptions import JsonRESTError
    from moto.resourcegroups import responses as rg_responses
    from moto.resourcegroups import urls as rg_urls

    handler = rg_responses.ResourceGroupsResponse
    if getattr(handler.list_group_resources, "lookout_patched", False):
        return

    def member_arn(rtype, physical_id, account, region):
        if rtype == "AWS::EC2::Instance":
            return "arn:aws:ec2:%s:%s:instance/%s" % (region, account, physical_id)
        if physical_id and physical_id.startswith("arn:"):
            return physical_id
        return None

    def list_group_resources(self):
        name = self._get_param("Group") or self._get_param("GroupName")
        if name and ":group/" in name:
            name = name.split(":group/")[-1]
        group = self.resourcegroups_backend.get_group(group_name=name)
        query = group.resource_query or {}
        if query.get("Type") != "CLOUDFORMATION_STACK_1_0":
            raise JsonRESTError("BadRequestException", "lookout's launcher answers ListGroupResources for CloudFormation stack groups only")
        q = json.loads(query.get("Query") or "{}")
        types = q.get("ResourceTypeFilters") or ["AWS::AllSupported"]
        cf = cloudformation_backends[self.current_account][self.region]
        stack = cf.get_stack(q.get("StackIdentifier"))
        ids = []
        for res in stack.stack_resources:
            rtype = getattr(res, "cf_resource_type", "")
            if "AWS::AllSupported" not in types and rtype not in types:
                continue
            arn = member_arn(rtype, getattr(res, "physical_resource_id", ""), self.current_account, self.region)
            if arn:
                ids.append({"ResourceArn": arn, "ResourceType": rtype})
        return json.dumps({"Resources": [{"Identifier": i} for i in ids], "ResourceIdentifiers": ids})

    list_group_resources.lookout_patched = True
    handler.list_group_resources = list_group_resources
    rg_urls.url_paths["{0}/list-group-resources$"] = handler.dispatch


# ---- IAM: the AWS managed policies an instance role needs ----


INSTANCE_ROLE_POLICIES = ("AmazonSSMManagedInstanceCore", "AmazonEC2RoleforSSM", "CloudWatchAgentServerPolicy")


def install_iam_instance_role_policies():
    """moto loads AWS managed policies only with MOTO_IAM_LOAD_MANAGED_POLICIES=true, and then
    all of them (over a thousand, per account): without them AttachRolePolicy of
    AmazonSSMManagedInstanceCore answers NoSuchEntity, where AWS attaches it. Load the few an
    EC2 instance role uses, from moto's own copy of their documents."""
    import json
    from moto.iam import models as iam_models

    original = iam_models.IAMBackend._init_aws_policies
    if getattr(original, "lookout_patched", False):
        return

    def init_aws_policies(self):
        policies = original(self)
        if policies:
            return policies  # the environment asked for all of them
        data = json.loads(iam_models.aws_managed_policies_data)
        return [iam_models.AWSManagedPolicy.from_data(name, self.account_id, self.region_name, data[name])
                for name in INSTANCE_ROLE_POLICIES if name in data]

    init_aws_policies.lookout_patched = True
    iam_models.IAMBackend._init_aws_policies = init_aws_policies


# ---- EC2: the default security group, as AWS has it ----


def install_ec2_default_security_group():
    """Two gaps of moto 5.2.1 that make a correct security group check look wrong:
    - AWS gives every VPC's default security group an inbound rule admitting all traffic from
      the group itself; moto's has no inbound rule;
    - AWS attaches the VPC's default group to an instance launched without a security group
      (in the subnet's VPC, else the default VPC); moto attaches none."""
    from moto.ec2.models import security_groups as sg_models
    from moto.ec2.models import instances as inst_models

    original_create = sg_models.SecurityGroupBackend.create_security_group
    if getattr(original_create, "lookout_patched", False):
        return

    def create_security_group(self, name, description, vpc_id=None, tags=None, force=False, is_default=None):
        group = original_create(self, name, description, vpc_id=vpc_id, tags=tags, force=force, is_default=is_default)
        if is_default:
            self.authorize_security_group_ingress(group.id, "-1", None, None, [],
                                                  source_groups=[{"GroupId": group.id}], vpc_id=group.vpc_id)
        return group

    create_security_group.lookout_patched = True
    sg_models.SecurityGroupBackend.create_security_group = create_security_group

    original_run = inst_models.InstanceBackend.run_instances

    def run_instances(self, image_id, count, user_data, security_group_names, **kwargs):
        if not security_group_names and not kwargs.get("security_group_ids") and not kwargs.get("nics") \
                and not kwargs.get("launch_template"):
            if kwargs.get("subnet_id"):
                vpc_id = self.get_subnet(kwargs["subnet_id"]).vpc_id
            else:
                vpc = self.get_default_vpc()
                vpc_id = vpc.id if vpc is not None else None
            default = self.get_security_group_from_name("default", vpc_id=vpc_id) if vpc_id else None
            if default is not None:
                kwargs["security_group_ids"] = [default.id]
        return original_run(self, image_id, count, user_data, security_group_names, **kwargs)

    inst_models.InstanceBackend.run_instances = run_instances


def install_cloudtrail_default_selectors():
    """A trail created without selectors logs the default: every management event, read and
    write. AWS's GetEventSelectors says so explicitly (one EventSelector with ReadWriteType All
    and IncludeManagementEvents true); moto answers with no selectors at all, which lookout
    rightly refuses to read as data."""
    from moto.cloudtrail.models import Trail

    original = Trail.get_event_selectors

    def get_event_selectors(self):
        classic, advanced = original(self)
        if not classic and not advanced:
            classic = [{"ReadWriteType": "All", "IncludeManagementEvents": True,
                        "DataResources": [], "ExcludeManagementEventSources": []}]
        return classic, advanced

    Trail.get_event_selectors = get_event_selectors

def install_lambda_zero_reserved_concurrency():
    """moto 5.2.1 stores PutFunctionConcurrency's ReservedConcurrentExecutions but leaves
    Concurrency out of GetFunction's answer when the value is 0 (it tests the value's truth).
    AWS answers Concurrency.ReservedConcurrentExecutions 0 for a throttled function (what the
    console's Throttle button sets), and nothing when no reserved concurrency is configured
    (Lambda API reference, GetFunction). Report 0 as AWS does."""
    from moto.awslambda import models

    original = models.LambdaFunction.get_code

    def get_code(self, *args, **kwargs):
        resp = original(self, *args, **kwargs)
        rc = getattr(self, "reserved_concurrency", None)
        if rc is not None and "Concurrency" not in resp and str(rc) == "0":
            resp["Concurrency"] = {"ReservedConcurrentExecutions": 0}
        return resp

    models.LambdaFunction.get_code = get_code



def install_cloudwatch_put_composite_alarm():
    """moto 5.2.1 stores composite alarms (an Alarm with a rule, listed under CompositeAlarms
    by DescribeAlarms) but does not dispatch PutCompositeAlarm. Its PutMetricAlarm handler
    already reads AlarmRule "to re-use this method for composite alarms", so route the action
    there, and keep ActionsSuppressor (CloudWatch API reference, PutCompositeAlarm), which it
    does not read."""
    from moto.cloudwatch.responses import CloudWatchResponse as R

    if hasattr(R, "put_composite_alarm"):
        return

    def put_composite_alarm(self):
        result = R.put_metric_alarm(self)
        alarm = self.cloudwatch_backend.alarms.get(self._get_param("AlarmName"))
        if alarm is not None:
            alarm.actions_suppressor = self._get_param("ActionsSuppressor")
        return result

    R.put_composite_alarm = put_composite_alarm


# ---- CloudTrail → EventBridge → Lambda: a StopLogging call reaches the rules that match it ----
#
# EMULATION. In AWS, a management API call that a logging trail records is delivered to the
# default event bus of the region where it was made as an "AWS API Call via CloudTrail" event
# (EventBridge user guide, "Events from AWS services delivered via AWS CloudTrail"), every
# enabled rule of that bus whose pattern matches gets it, and a Lambda target is invoked
# asynchronously with the event, if the function's resource policy lets events.amazonaws.com
# invoke it for that rule. moto 5.2.1 does none of this. Modelled here for StopLogging (what a
# lookout drill sets off): after the call, if a trail of the account that covers the region is
# still logging, the event — shaped as CloudTrail writes it, the trail named as the caller named
# it — is matched with moto's own pattern matcher against the default bus's rules, and each
# permitted Lambda target's handler (its deployed zip, Python) runs in a thread of this server
# with boto3 pointed back at it. Invocations are kept per backend for inspection.

_SERVER_PORT = None


def _invocations(backend):
    if not hasattr(backend, "lookout_invocations"):
        backend.lookout_invocations = []
    return backend.lookout_invocations


def install_cloudtrail_stoplogging_to_eventbridge():
    import importlib.util
    import io
    import json
    import tempfile
    import threading
    import uuid
    import zipfile
    from datetime import datetime, timezone
    from moto.cloudtrail import models as ct_models

    original = ct_models.CloudTrailBackend.stop_logging
    if getattr(original, "lookout_patched", False):
        return

    def covers(trail, region):
        return trail.is_multi_region or trail.region_name == region

    def lambda_allows(fn, rule_arn):
        for st in getattr(fn.policy, "statements", []):
            if st.get("Effect", "Allow") != "Allow":
                continue
            principal = st.get("Principal")
            service = principal.get("Service") if isinstance(principal, dict) else principal
            services = service if isinstance(service, list) else [service]
            actions = st.get("Action")
            actions = actions if isinstance(actions, list) else [actions]
            if "events.amazonaws.com" not in services or not any(a in ("lambda:InvokeFunction", "lambda:*", "*") for a in actions):
                continue
            cond = st.get("Condition") or {}
            source = (cond.get("ArnLike") or {}).get("AWS:SourceArn") or (cond.get("ArnEquals") or {}).get("AWS:SourceArn")
            if source is None or source == rule_arn:
                return True
        return False

    class Boto3Shim:
        """boto3 as a handler imports it, its clients sent to this server."""
        def __init__(self, boto3):
            self._boto3 = boto3

        def client(self, service, **kwargs):
            kwargs.setdefault("endpoint_url", "http://127.0.0.1:%s" % _SERVER_PORT)
            kwargs.setdefault("aws_access_key_id", "testing")
            kwargs.setdefault("aws_secret_access_key", "testing")
            return self._boto3.client(service, **kwargs)

    def run_handler(fn, event, record):
        import boto3
        try:
            handler = fn.handler  # "module.function"
            module_name, func_name = handler.rsplit(".", 1)
            with tempfile.TemporaryDirectory() as d:
                zipfile.ZipFile(io.BytesIO(fn.code_bytes)).extractall(d)
                spec = importlib.util.spec_from_file_location("lookout_handler_" + uuid.uuid4().hex, "%s/%s.py" % (d, module_name))
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
                module.boto3 = Boto3Shim(boto3)
                record["result"] = getattr(module, func_name)(event, None)
                record["status"] = "Succeeded"
        except Exception as e:  # the invocation fails, as a function error does in AWS
            record["status"] = "Failed"
            record["error"] = "%s: %s" % (type(e).__name__, e)

    def deliver(backend, name):
        from moto.awslambda.models import lambda_backends
        from moto.events.models import events_backends
        account, region = backend.account_id, backend.region_name
        # This region's trails and the multi-region trails of the account's other regions.
        logging_trails = [t for t in backend.describe_trails(include_shadow_trails=True)
                          if t.status.is_logging and covers(t, region)]
        if not logging_trails:
            return  # no trail records the call, so EventBridge never sees it
        now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        event = {
            "version": "0", "id": str(uuid.uuid4()), "detail-type": "AWS API Call via CloudTrail",
            "source": "aws.cloudtrail", "account": account, "time": now, "region": region, "resources": [],
            "detail": {
                "eventVersion": "1.09", "eventTime": now, "eventSource": "cloudtrail.amazonaws.com",
                "eventName": "StopLogging", "awsRegion": region, "sourceIPAddress": "198.51.100.7",
                "userAgent": "lookout-drill", "requestParameters": {"name": name}, "responseElements": None,
                "userIdentity": {"type": "AssumedRole", "accountId": account,
                                 "arn": "arn:aws:sts::%s:assumed-role/lookout/drill" % account},
                "eventID": str(uuid.uuid4()), "readOnly": False, "eventType": "AwsApiCall",
                "managementEvent": True, "recipientAccountId": account, "eventCategory": "Management",
            },
        }
        bus = events_backends[account][region].event_buses.get("default")
        rules = bus.rules if bus is not None else {}
        for rule in list(rules.values()):
            if not str(rule.state).startswith("ENABLED"):
                continue
            if not rule.event_pattern.matches_event(event):
                continue
            for target in rule.targets:
                arn = target.get("Arn", "")
                if ":lambda:" not in arn or ":function:" not in arn:
                    continue
                record = {"rule": rule.arn, "function": arn, "status": "NotInvoked"}
                _invocations(backend).append(record)
                try:
                    fn = lambda_backends[account][region].get_function(arn)
                except Exception as e:
                    record["error"] = "function not found: %s" % e
                    continue
                if not lambda_allows(fn, rule.arn):
                    record["error"] = "the function's resource policy does not let this rule invoke it"
                    continue
                record["status"] = "Invoked"
                threading.Thread(target=run_handler, args=(fn, json.loads(json.dumps(event)), record), daemon=True).start()

    def stop_logging(self, name):
        original(self, name)
        deliver(self, name)

    stop_logging.lookout_patched = True
    ct_models.CloudTrailBackend.stop_logging = stop_logging



# EMULATION (not moto behaviour): what AWS-RunShellScript's logger(1) lines reach. moto 5.2.1
# records Run Command invocations but runs nothing, and applies no metric filter to the events
# put into a log group. For lookout's SSH log drill these two hops are emulated as the
# instance and AWS would carry a line:
#  - A `logger [-i] [-p FACILITY.LEVEL] [-t TAG] MESSAGE` line of an AWS-RunShellScript
#    command whose invocation succeeded reaches syslog. On a distribution with a syslog daemon
#    (rsyslog's defaults) an auth/authpriv line is written to /var/log/secure (Amazon Linux 2,
#    Red Hat family), /var/log/auth.log (Ubuntu, Debian) or /var/log/messages (SUSE); Amazon
#    Linux 2023 and Debian 12+ have none unless SSM Inventory (AWS:Application) lists rsyslog
#    or syslog-ng, so the line reaches only the journal. The journal gives the line the unit of
#    the process that wrote it: the SSM agent's (amazon-ssm-agent.service).
#  - The CloudWatch agent ships it per the configuration in effect on the instance: the
#    AmazonCloudWatch-ManageAgent runs (associations whose targets select the instance, and
#    commands whose invocation on it succeeded) applied in time order, "configure" replacing,
#    "configure (append)" adding, "stop" stopping the agent; the configuration read from the
#    Parameter Store parameter optionalConfigurationLocation. A file entry whose file_path
#    (glob) names the file ships the syslog line; a journald entry whose units are empty or
#    name the SSM agent's unit, and whose priority admits the level, ships the journal entry as
#    a JSON document with its fields under "body". Streams default to {instance_id}; the
#    placeholders {instance_id}, {hostname}, {local_hostname} and {ip_address} are replaced.
#    Filters and matches of an entry are not evaluated here (the drill only uses entries the
#    scan found carrying sshd's log).
#  - Events put into a log group are counted by its metric filters whose pattern is a term or
#    quoted phrase (moto's own matcher; other pattern forms are not applied here) with a
#    numeric metricValue and no dimensions; each count is a datapoint of the filter's metric.
#    An alarm on that metric (no dimensions, a statistic) that needs one breaching datapoint
#    (DatapointsToAlarm, else EvaluationPeriods, of 1) is evaluated on the period holding the
#    datapoint and goes to ALARM when it breaches, with CloudWatch's "Threshold Crossed" reason
#    (its actions then run as install_cloudwatch_alarm_history records them). Alarms needing
#    more datapoints are not evaluated.

_MANAGE_AGENT = "AmazonCloudWatch-ManageAgent"
_SSM_AGENT_UNIT = "amazon-ssm-agent.service"
_LEVELS = ["emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"]


def _syslog_file(ssm, mi, facility):
    """The file rsyslog's defaults write a line of facility to on mi, or None."""
    if facility not in ("auth", "authpriv"):
        return None
    name, version = mi["PlatformName"].lower(), mi["PlatformVersion"]
    journal_only = ("amazon linux" in name and version.startswith("2023")) or \
        ("debian" in name and version.split(".")[0].isdigit() and int(version.split(".")[0]) >= 12)
    if journal_only:
        apps = getattr(ssm, "lookout_inventory", {}).get(mi["InstanceId"], {}).get("AWS:Application", {})
        if not any(row.get("Name") in ("rsyslog", "syslog-ng") for row in apps.get("Content", [])):
            return None
    if "ubuntu" in name or "debian" in name:
        return "/var/log/auth.log"
    if "sles" in name or "suse" in name:
        return "/var/log/messages"
    return "/var/log/secure"


def _agent_configurations(ssm, mi):
    """The CloudWatch agent configurations (parsed JSON) in effect on mi; [] when stopped."""
    import json
    runs = []
    for a in getattr(ssm, "lookout_associations", {}).values():
        targets = a["Targets"] or ([{"Key": "InstanceIds", "Values": [a["InstanceId"]]}] if a.get("InstanceId") else [])
        if a["Name"] == _MANAGE_AGENT and _targets_match(mi, targets) and not _fails(mi):
            runs.append((a["Date"], a["Parameters"] or {}))
    for c in ssm._commands:
        if c.document_name != _MANAGE_AGENT:
            continue
        if any(inv["InstanceId"] == mi["InstanceId"] and inv["Status"] == "Success" for inv in c.invocations):
            runs.append((c.requested_date_time, c.parameters or {}))
    runs.sort(key=lambda r: r[0])
    configs, running = [], False
    for _, params in runs:
        first = lambda k, d="": (params.get(k) or [d])[0]
        action, location = first("action", "configure"), first("optionalConfigurationLocation")
        doc = None
        if first("optionalConfigurationSource", "ssm") == "ssm" and location:
            try:
                doc = json.loads(ssm.get_parameter(location).value)
            except Exception:
                doc = None
        if action == "configure":
            configs, running = ([doc] if doc else []), True
        elif action == "configure (append)":
            configs, running = configs + ([doc] if doc else []), True
        elif action == "configure (remove)":
            configs = [c for c in configs if c != doc]
        elif action == "stop":
            running = False
        elif action == "start":
            running = True
    return configs if running else []


def _placeholders(text, mi):
    for k, v in (("{instance_id}", mi["InstanceId"]), ("{hostname}", mi["ComputerName"]),
                 ("{local_hostname}", mi["ComputerName"]), ("{ip_address}", mi["IPAddress"])):
        text = text.replace(k, v or "")
    return text


def _parse_logger(argv):
    """(facility, level, tag, pid?, message) of a logger(1) command line, or None."""
    if not argv or argv[0] != "logger":
        return None
    facility, level, tag, pid, words, i = "user", "notice", "root", False, [], 1
    while i < len(argv):
        a = argv[i]
        if a in ("-i", "--id"):
            pid = True
        elif a in ("-p", "--priority") and i + 1 < len(argv):
            facility, _, level = argv[i + 1].partition(".")
            i += 1
        elif a in ("-t", "--tag") and i + 1 < len(argv):
            tag = argv[i + 1]
            i += 1
        elif a.startswith("-") and not words:
            return None  # an option this emulation does not know
        else:
            words.append(a)
        i += 1
    if level not in _LEVELS or not words:
        return None
    return facility, level, tag, pid, " ".join(words)


def _ship_syslog_line(account_id, region, mi, parsed):
    """Put the line where mi's CloudWatch agent ships it (see the section comment)."""
    import json
    from datetime import datetime, timezone
    from moto.logs.models import logs_backends
    from moto.ssm.models import ssm_backends
    ssm = ssm_backends[account_id][region]
    logs = logs_backends[account_id][region]
    facility, level, tag, pid, message = parsed
    now = datetime.now(timezone.utc)
    proc = "%s[4242]" % tag if pid else tag
    host = (mi["ComputerName"] or "localhost").split(".")[0]
    line = "%s %2d %s %s %s: %s" % (now.strftime("%b"), now.day, now.strftime("%H:%M:%S"), host, proc, message)
    body = {"MESSAGE": message, "PRIORITY": str(_LEVELS.index(level)), "SYSLOG_IDENTIFIER": tag,
            "_SYSTEMD_UNIT": _SSM_AGENT_UNIT, "_TRANSPORT": "syslog", "_HOSTNAME": host}
    if pid:
        body["SYSLOG_PID"] = body["_PID"] = "4242"
    syslog_file = _syslog_file(ssm, mi, facility)
    for cfg in _agent_configurations(ssm, mi):
        collected = ((cfg.get("logs") or {}).get("logs_collected") or {})
        default_stream = (cfg.get("logs") or {}).get("log_stream_name") or "{instance_id}"
        targets = []
        for e in ((collected.get("files") or {}).get("collect_list") or []):
            if syslog_file and e.get("log_group_name") and fnmatch.fnmatchcase(syslog_file, e.get("file_path", "")):
                targets.append((e["log_group_name"], e.get("log_stream_name") or default_stream, line))
        for e in ((collected.get("journald") or {}).get("collect_list") or []):
            units = e.get("units") or []
            prio = e.get("priority") or "info"
            limit = _LEVELS.index(prio) if prio in _LEVELS else int(prio) if str(prio).isdigit() else 6
            if e.get("log_group_name") and (not units or _SSM_AGENT_UNIT in units) and _LEVELS.index(level) <= limit:
                targets.append((e["log_group_name"], e.get("log_stream_name") or "{instance_id}", json.dumps({"body": body})))
        for group, stream, text in targets:
            group, stream = _placeholders(group, mi), _placeholders(stream, mi)
            if group not in logs.groups:
                logs.create_log_group(group, {})
            if stream not in logs.groups[group].streams:
                logs.create_log_stream(group, stream)
            logs.put_log_events(group, stream, [{"timestamp": int(now.timestamp() * 1000), "message": text}])


def install_run_shell_script_syslog():
    """EMULATION: AWS-RunShellScript's logger(1) lines reach the instance's CloudWatch agent
    (see the section comment above)."""
    import shlex
    from moto.ssm import models as ssm_models
    original = ssm_models.Command.__init__
    if getattr(original, "lookout_syslog", False):
        return

    def command_init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        if self.document_name != "AWS-RunShellScript":
            return
        managed = {mi["InstanceId"]: mi for mi in _managed_instances(self.account_id, self.backend_region)}
        for inv in self.invocations:
            mi = managed.get(inv["InstanceId"])
            if mi is None or inv["Status"] != "Success":
                continue
            for command in self.parameters.get("commands") or []:
                for text in str(command).splitlines():
                    try:
                        parsed = _parse_logger(shlex.split(text))
                    except ValueError:
                        parsed = None
                    if parsed:
                        _ship_syslog_line(self.account_id, self.backend_region, mi, parsed)

    command_init.lookout_syslog = True
    ssm_models.Command.__init__ = command_init


def install_logs_metric_filters_to_alarms():
    """EMULATION: metric filters count the events put into their log group, and alarms that
    need one breaching datapoint are evaluated on it (see the section comment above)."""
    from datetime import datetime, timezone
    from moto.cloudwatch.models import MetricDatum, cloudwatch_backends
    from moto.logs import models as logs_models
    from moto.logs.utils import EventMessageFilter, QuotedTermFilterPattern, SingleTermFilterPattern
    original = logs_models.LogsBackend.put_log_events
    if getattr(original, "lookout_patched_metrics", False):
        return

    compare = {
        "GreaterThanOrEqualToThreshold": (lambda v, t: v >= t, "greater than or equal to"),
        "GreaterThanThreshold": (lambda v, t: v > t, "greater than"),
        "LessThanThreshold": (lambda v, t: v < t, "less than"),
        "LessThanOrEqualToThreshold": (lambda v, t: v <= t, "less than or equal to"),
    }
    stats = {
        "Sum": sum, "SampleCount": lambda vs: float(len(vs)), "Maximum": max, "Minimum": min,
        "Average": lambda vs: sum(vs) / len(vs),
    }

    def evaluate(cw, namespace, name, when):
        for alarm in list(cw.alarms.values()):
            if alarm.namespace != namespace or alarm.metric_name != name or alarm.dimensions or alarm.metric_data_queries:
                continue
            needed = alarm.datapoints_to_alarm or alarm.evaluation_periods
            if needed != 1 or alarm.statistic not in stats or alarm.comparison_operator not in compare or not alarm.period:
                continue
            start = int(when.timestamp()) // alarm.period * alarm.period
            values = [d.value for d in cw.metric_data
                      if isinstance(d, MetricDatum) and d.namespace == namespace and d.name == name and not d.dimensions
                      and start <= int(d.timestamp.replace(tzinfo=timezone.utc).timestamp()) < start + alarm.period]
            if not values:
                continue
            value = stats[alarm.statistic](values)
            breaches, words = compare[alarm.comparison_operator]
            if not breaches(value, float(alarm.threshold)) or alarm.state_value == "ALARM":
                continue
            stamp = datetime.fromtimestamp(start, timezone.utc).strftime("%d/%m/%y %H:%M:%S")
            reason = "Threshold Crossed: 1 datapoint [%s (%s)] was %s the threshold (%s)." % (value, stamp, words, float(alarm.threshold))
            cw.set_alarm_state(alarm.name, reason, "{}", "ALARM")

    def put_log_events(self, log_group_name, log_stream_name, log_events):
        result = original(self, log_group_name, log_stream_name, log_events)
        cw = cloudwatch_backends[self.account_id][self.region_name]
        for f in self.filters.metric_filters:
            if f["logGroupName"] != log_group_name:
                continue
            matcher = EventMessageFilter(f["filterPattern"])
            if not isinstance(matcher.filter_type, (QuotedTermFilterPattern, SingleTermFilterPattern)):
                continue
            for event in log_events:
                if not matcher.matches(event["message"]):
                    continue
                when = datetime.fromtimestamp(event["timestamp"] / 1000, timezone.utc)
                for t in f["metricTransformations"]:
                    try:
                        value = float(t.get("metricValue", ""))
                    except ValueError:
                        continue
                    if t.get("dimensions"):
                        continue
                    cw.metric_data.append(MetricDatum(namespace=t["metricNamespace"], name=t["metricName"], value=value,
                                                      dimensions=[], timestamp=when.replace(tzinfo=None), unit=None))
                    evaluate(cw, t["metricNamespace"], t["metricName"], when)
        return result

    put_log_events.lookout_patched_metrics = True
    logs_models.LogsBackend.put_log_events = put_log_events


def main():
    global _SERVER_PORT
    if len(sys.argv) != 2:
        sys.exit("usage: launcher.py PORT")
    port = sys.argv[1]
    _SERVER_PORT = port
    install_extensions()
    from moto.server import main as moto_main
    moto_main(["-H", "127.0.0.1", "-p", port])


if __name__ == "__main__":
    main()

