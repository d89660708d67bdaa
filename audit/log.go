package audit

import (
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// eventFields renders ev as zap fields named like its JSON, omitting empty
// ones the way the JSON body does, plus "hash" when the event was chained.
func eventFields(ev *Event, hash string) []zap.Field {
	f := make([]zap.Field, 0, 24)
	if ev.Seq != 0 {
		f = append(f, zap.Int64("seq", ev.Seq), zap.String("time", ev.Time.UTC().Format(time.RFC3339Nano)))
	}
	f = append(f, zap.String("type", string(ev.Type)))
	str := func(key, v string) {
		if v != "" {
			f = append(f, zap.String(key, v))
		}
	}
	str("action_id", ev.ActionID)
	str("principal", ev.Principal)
	str("principal_kind", ev.PrincipalKind)
	str("on_behalf_of", ev.OnBehalfOf)
	str("workspace", ev.Workspace)
	str("environment", ev.Environment)
	str("session_id", ev.SessionID)
	str("kind", ev.Kind)
	if len(ev.Paths) > 0 {
		f = append(f, zap.Strings("paths", ev.Paths))
	}
	str("digest", ev.Digest)
	str("effect", ev.Effect)
	if len(ev.Reasons) > 0 {
		f = append(f, zap.Array("reasons", reasons(ev.Reasons)))
	}
	str("policy_revision", ev.PolicyRevision)
	str("error_reason", ev.ErrorReason)
	str("error_message", ev.ErrorMessage)
	if ev.DurationMS != 0 {
		f = append(f, zap.Float64("duration_ms", ev.DurationMS))
	}
	if len(ev.Result) > 0 {
		f = append(f, zap.Any("result", ev.Result))
	}
	str("intent", ev.Intent)
	str("voter", ev.Voter)
	str("vote", ev.Vote)
	str("comment", ev.Comment)
	str("enforcement", ev.Enforcement)
	str("would_effect", ev.WouldEffect)
	str("shadow_effect", ev.ShadowEffect)
	str("shadow_revision", ev.ShadowRevision)
	if len(ev.ShadowRules) > 0 {
		f = append(f, zap.Strings("shadow_rules", ev.ShadowRules))
	}
	str("hash", hash)
	return f
}

type reasons []Reason

func (rs reasons) MarshalLogArray(enc zapcore.ArrayEncoder) error {
	for i := range rs {
		if err := enc.AppendObject(&rs[i]); err != nil {
			return err
		}
	}
	return nil
}

// MarshalLogObject logs a reason with its JSON names.
func (r *Reason) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	enc.AddString("rule_id", r.RuleID)
	enc.AddString("message", r.Message)
	enc.AddString("effect", r.Effect)
	return nil
}

// LogOnly writes ev to the JSON log with the audit field names, without
// storing or chaining it: for action.received, whose facts the stored
// action.decided event repeats, so the log shows every request the moment
// it arrives without a second durable write per action.
func LogOnly(log *zap.Logger, ev Event) {
	ev.Intent = truncate(ev.Intent, MaxIntentBytes)
	log.Info("audit", eventFields(&ev, "")...)
}
