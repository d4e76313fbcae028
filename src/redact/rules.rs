//! The redaction rules: data, not code (DESIGN §2 "knowledge is data"). Each rule is a
//! regex-lite expression plus the literal keywords (lowercase, matched ignoring ASCII case) of
//! which one must occur in the text before the expression runs, as gitleaks' rules carry
//! `keywords`; the engine in `super` runs the expression only on the windows around keyword hits.
//!
//! What is replaced: the capture group named `s` when the expression has one (the rest of the
//! match is context that stays, e.g. a header name), else the whole match. A quoted value
//! (`"…"`, `'…'`) keeps its quotes. Values that are placeholders (`true`, `null`, short numbers,
//! an earlier mark …) are left alone, see `super::is_placeholder`.
//!
//! Shapes follow the gitleaks families (https://github.com/gitleaks/gitleaks, config/gitleaks.toml)
//! with looser lengths where a provider's exact length is not documented. Every rule is proven by
//! tests/fixtures/redaction/secrets.txt; ordinary text by tests/fixtures/redaction/ordinary.txt.

use super::{Rule, Scope};
use Scope::{After, Before, Line};

/// Mark of a private-key block.
pub const PRIVATE_KEY_MARK: &str = "[REDACTED PRIVATE KEY]";
/// How far from a keyword hit a block rule looks (the host hands the core at most 64 KiB).
const BLOCK: usize = 64 * 1024;

/// Shorthand for a rule on the hit's line that replaces `s` (or the match) with the mark.
const fn line(id: &'static str, keywords: &'static [&'static str], regex: &'static str) -> Rule {
    Rule { id, keywords, regex, scope: Line, mark: super::MARK, not_followed_by: "" }
}

/// Values that are never a secret, whatever the name before them (ignoring ASCII case):
/// booleans and nulls (`auth: true`), and type names (`apiKey: string`, `password: str`).
pub const NOT_SECRETS: &[&str] = &[
    "true", "false", "null", "none", "nil", "undefined", "yes", "no", "on", "off", "string", "str", "number", "int",
    "integer", "bool", "boolean", "bytes", "object", "any", "float",
];

pub const RULES: &[Rule] = &[
    // --- Blocks spanning lines ------------------------------------------------------------
    // A whole PEM private key (PKCS#1/#8, OpenSSH, EC, DSA, PGP, encrypted), or from its BEGIN
    // line to the end of the window when the END line is not there (cut off, still printing).
    Rule {
        id: "private-key",
        keywords: &["private key"],
        regex: r"-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----(?s:.*?)(?:-----END[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----|\z)",
        scope: After(BLOCK),
        mark: PRIVATE_KEY_MARK,
        not_followed_by: "",
    },
    // The body of a private key whose BEGIN line is not in the text (a tail window started
    // inside it): the base64 run (lines, or `\n`-joined in JSON) that ends at an END line.
    Rule {
        id: "private-key-body",
        keywords: &["private key"],
        regex: r"(?:[A-Za-z0-9+/=]+(?:[ \t]*\r?\n[ \t]*|\\n))+-----END[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----",
        scope: Before(BLOCK),
        mark: PRIVATE_KEY_MARK,
        not_followed_by: "",
    },
    // PuTTY .ppk: the lines after `Private-Lines: N`.
    Rule {
        id: "putty-private-key",
        keywords: &["private-lines"],
        regex: r"Private-Lines: [0-9]+\r?\n(?P<s>(?:[A-Za-z0-9+/=]+(?:\r?\n|\z))+)",
        scope: After(BLOCK),
        mark: PRIVATE_KEY_MARK,
        not_followed_by: "",
    },
    // --- Credentials by context (headers, URLs, command lines, assignments) ------------------
    // Header name kept, value dropped: `Authorization: Bearer abc`, `"x-api-key":"abc"`.
    line(
        "auth-header",
        &["authorization", "api-key", "apikey", "auth-token", "private-token", "vault-token", "access-token", "subscription-key"],
        r#"(?i)(?:^|[^\w-])(?:proxy-)?(?:authorization|x-api-key|api-key|x-goog-api-key|x-auth-token|private-token|x-vault-token|x-access-token|ocp-apim-subscription-key|apikey)["']?\s*[:=]\s*["']?(?:(?:bearer|basic|token|digest|bot|negotiate|sso-key|key)\s+)?(?P<s>[^\s"',;]+)"#,
    ),
    // The whole cookie list, not only the first cookie.
    line("cookie-header", &["cookie"], r#"(?i)(?:^|[^\w-])(?:set-)?cookie["']?\s*[:=]\s*["']?(?P<s>[^"'\r\n]+)"#),
    // A token has a digit somewhere (`Bearer authentication` is prose).
    line("bearer-token", &["bearer"], r"(?i)\bbearer\s+(?P<s>[A-Za-z._~+/=-]*[0-9][A-Za-z0-9._~+/=-]*)"),
    // `Authorization: Bot <token>` and the like outside a header.
    line("bot-token", &["bot "], r"(?i)\bbot\s+(?P<s>[A-Za-z0-9._-]{50,})"),
    // `scheme://user:password@host`: the password.
    line("url-credentials", &["://"], r#"(?i)\b[a-z][a-z0-9+.-]*://[^\s:/@"'<>]*:(?P<s>[^\s/@"'<>]+)@"#),
    // `curl -u user:password`, `--user=user:password`, `--proxy-user …`: the password.
    line("cli-user-password", &["-u", "--user", "--proxy-user"], r#"(?:^|\s)(?:-u|--user|--proxy-user)(?:\s+|=)?["']?[^\s:"']*:(?P<s>[^\s"']+)"#),
    // `--password value`, `--token value` (the `=` form is an assignment below).
    line(
        "cli-secret-flag",
        &["pass", "token", "key", "secret"],
        r#"(?i)(?:^|\s)--?(?:password|passwd|pass|token|api-key|apikey|secret|client-secret|auth-token|access-token)\s+["']?(?P<s>[^\s"'-][^\s"']*)"#,
    ),
    line("sshpass", &["sshpass"], r#"\bsshpass\s+-p\s*["']?(?P<s>[^\s"']+)"#),
    line("netrc", &["machine"], r"(?i)\bmachine\s+\S+\s+login\s+\S+\s+password\s+(?P<s>\S+)"),
    // Signed URLs: Azure SAS `sig=`, S3/GCS presigned signatures and session tokens.
    line(
        "url-signature",
        &["sig", "x-amz-", "x-goog-"],
        r#"(?i)[?&](?:sig|signature|x-amz-signature|x-amz-credential|x-amz-security-token|x-goog-signature|x-goog-credential)=(?P<s>[^&\s"'#]+)"#,
    ),
    // `NAME=value`, `NAME = value`, `NAME: value`, `"name": "value"`, `name => 'value'`, where
    // NAME contains secret, passw(or)d, pwd, token or credential anywhere, ends in key (with
    // something before it, optionally then _id/_data/…), or ends in a pass/auth/pat segment.
    // A value followed by `(` or `[` is code (`token = getToken()`), not a secret.
    Rule {
        id: "secret-assignment",
        keywords: &["secret", "pass", "pwd", "token", "credential", "key", "auth", "pat"],
        regex: concat!(
            r#"(?i)(?:^|[^\w.-])(?:[\w.-]*?(?:secret|passw(?:or)?d|pwd|token|credential|api[_.-]?key)[\w.-]*"#,
            r#"|[\w.-]+key(?:[_.-]?(?:id|data|value|b64|base64))?|(?:[\w.-]*[_.-])?(?:pass|auth|pat))"#,
            r#"["']?[ \t]*(?:=>|:=|==?|:)[ \t]*(?P<s>"[^"\r\n]*"|'[^'\r\n]*'|[^\s"',;{}\[\]()<>&][^\s"',;(){}\[\]]*)"#,
        ),
        scope: Line,
        mark: super::MARK,
        not_followed_by: "([",
    },
    // Heroku's legacy keys are UUIDs: only next to the word heroku.
    line(
        "heroku-api-key",
        &["heroku"],
        r#"(?i)heroku[\w .-]{0,25}[=:"'\s]{1,5}["']?(?P<s>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"#,
    ),
    // --- Provider key shapes (whole match), each anchored on a word start ----------------------
    line("openai-anthropic-key", &["sk-"], r"\bsk-(?:ant-|proj-|svcacct-|admin-|or-v1-)?[A-Za-z0-9_-]{16,}"),
    line("groq-key", &["gsk_"], r"\bgsk_[A-Za-z0-9]{40,}"),
    line("xai-key", &["xai-"], r"\bxai-[A-Za-z0-9]{40,}"),
    line("perplexity-key", &["pplx-"], r"\bpplx-[A-Za-z0-9]{40,}"),
    line("replicate-token", &["r8_"], r"\br8_[A-Za-z0-9]{30,}"),
    line("google-api-key", &["aiza"], r"\bAIza[0-9A-Za-z_-]{30,}"),
    line("google-oauth-access-token", &["ya29."], r"\bya29\.[0-9A-Za-z_-]{20,}"),
    line("google-oauth-client-secret", &["gocspx-"], r"\bGOCSPX-[0-9A-Za-z_-]{20,}"),
    line("google-oauth-refresh-token", &["1//0"], r"\b1//0[0-9A-Za-z_-]{30,}"),
    line("github-token", &["ghp_", "gho_", "ghu_", "ghs_", "ghr_"], r"\bgh[pousr]_[A-Za-z0-9]{20,}"),
    line("github-fine-grained-pat", &["github_pat_"], r"\bgithub_pat_[A-Za-z0-9_]{20,}"),
    line(
        "gitlab-token",
        &["glpat-", "gldt-", "glptt-", "glrt-", "glsoat-", "glcbt-", "glimt-", "glft-", "glagent-", "gloas-", "glffct-", "glwt-"],
        r"\b(?:glpat|gldt|glptt|glrt|glsoat|glcbt|glimt|glft|glagent|gloas|glffct|glwt)-[A-Za-z0-9_-]{20,}",
    ),
    line("gitlab-runner-registration", &["gr1348941"], r"\bGR1348941[A-Za-z0-9_-]{20,}"),
    line("slack-token", &["xoxa-", "xoxb-", "xoxp-", "xoxo-", "xoxs-", "xoxr-", "xoxe-"], r"\bxox[abposre]-[A-Za-z0-9-]{10,}"),
    line("slack-app-token", &["xapp-"], r"\bxapp-[0-9]-[A-Za-z0-9-]{20,}"),
    line("slack-webhook", &["hooks.slack.com"], r"hooks\.slack\.com/(?:services|workflows|triggers)/(?P<s>[A-Za-z0-9+/_-]{20,})"),
    line("discord-webhook", &["discord"], r"discord(?:app)?\.com/api/webhooks/[0-9]+/(?P<s>[A-Za-z0-9_-]{40,})"),
    // A Discord bot token has no literal prefix: only next to the word discord or `Bot `.
    line("discord-bot-token", &["discord", "bot "], r"\b[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,40}\b"),
    line("telegram-bot-token", &[":aa"], r"[0-9]{8,10}:AA[A-Za-z0-9_-]{30,}"),
    line("aws-access-key-id", &["akia", "asia", "abia", "acca", "a3t"], r"\b(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b"),
    line("azure-ad-client-secret", &["q~"], r"(?:^|[^A-Za-z0-9_~.-])(?P<s>[A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34})"),
    line("azure-identifiable-key", &["jqqj9"], r"\b[A-Za-z0-9]{52}JQQJ9[A-Za-z0-9]{5,}"),
    line("huggingface-token", &["hf_", "api_org_"], r"\b(?:hf_|api_org_)[A-Za-z0-9]{30,}"),
    line("npm-token", &["npm_"], r"\bnpm_[A-Za-z0-9]{36,}"),
    line("pypi-token", &["pypi-age"], r"\bpypi-AgE[A-Za-z0-9_-]{50,}"),
    line("stripe-key", &["sk_live", "sk_test", "rk_live", "rk_test", "sk_prod", "rk_prod"], r"\b[sr]k_(?:live|test|prod)_[A-Za-z0-9]{16,}"),
    line("stripe-webhook-secret", &["whsec_"], r"\bwhsec_[A-Za-z0-9+/=]{24,}"),
    line("sendgrid-key", &["sg."], r"\bSG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{16,64}"),
    line("twilio-api-key", &["sk"], r"\bSK[0-9a-fA-F]{32}\b"),
    line("mailgun-key", &["key-"], r"\bkey-[0-9a-f]{32}\b"),
    line("mailchimp-key", &["-us"], r"\b[0-9a-f]{32}-us[0-9]{1,2}\b"),
    line("digitalocean-token", &["dop_v1_", "doo_v1_", "dor_v1_"], r"\bdo[por]_v1_[a-f0-9]{64}"),
    line("vault-token", &["hvs.", "hvb.", "hvr."], r"\bhv[sbr]\.[A-Za-z0-9_-]{20,}"),
    line("heroku-key", &["hrku-"], r"\bHRKU-[A-Za-z0-9_-]{20,}"),
    line("sentry-token", &["sntrys_", "sntryu_"], r"\bsntry[su]_[A-Za-z0-9+/=_-]{40,}"),
    line("sentry-dsn", &["sentry"], r"https?://(?P<s>[0-9a-f]{32})(?::[0-9a-f]{32})?@[A-Za-z0-9.-]*sentry"),
    line("grafana-cloud-token", &["glc_"], r"\bglc_[A-Za-z0-9+/]{32,}={0,2}"),
    line("grafana-service-account-token", &["glsa_"], r"\bglsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}"),
    line("grafana-api-key", &["eyjrijoi"], r"\beyJrIjoi[A-Za-z0-9+/]{50,}={0,2}"),
    line("linear-key", &["lin_api_", "lin_oauth_"], r"\blin_(?:api|oauth)_[A-Za-z0-9]{32,}"),
    line("notion-token", &["ntn_", "secret_"], r"\b(?:ntn_[A-Za-z0-9]{40,}|secret_[A-Za-z0-9]{43}\b)"),
    line("shopify-token", &["shpat_", "shpca_", "shppa_", "shpss_"], r"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}"),
    line("age-secret-key", &["age-secret-key-1"], r"\bAGE-SECRET-KEY-1[0-9A-Z]{58}"),
    line("jwt", &["eyj"], r"\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*"),
    line("atlassian-token", &["atatt3", "atctt3"], r"\bAT[AC]TT3[A-Za-z0-9_=-]{100,}"),
    line("databricks-token", &["dapi"], r"\bdapi[a-f0-9]{32}(?:-[0-9]+)?\b"),
    line("doppler-token", &["dp.pt.", "dp.st.", "dp.sa.", "dp.ct.", "dp.scim.", "dp.audit."], r"\bdp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,}"),
    line("dynatrace-token", &["dt0c01."], r"\bdt0c01\.[A-Z0-9]{24}\.[A-Z0-9]{64}"),
    line("flyio-token", &["fo1_", "flyv1"], r"\bfo1_[A-Za-z0-9_-]{40,}|\bFlyV1 fm[12][ar]?_[A-Za-z0-9+/=,_-]{50,}"),
    line("planetscale-token", &["pscale_"], r"\bpscale_(?:tkn|oauth|pw)_[A-Za-z0-9=._-]{32,}"),
    line("postman-key", &["pmak-"], r"\bPMAK-[a-fA-F0-9]{24}-[a-fA-F0-9]{34}"),
    line("pulumi-token", &["pul-"], r"\bpul-[a-f0-9]{40}"),
    line("rubygems-key", &["rubygems_"], r"\brubygems_[a-f0-9]{48}"),
    line("square-token", &["eaaa", "sq0atp-", "sq0csp-"], r"\b(?:EAAA[A-Za-z0-9_-]{60}|sq0(?:atp|csp)-[A-Za-z0-9_-]{22,})"),
    line("facebook-token", &["eaa"], r"\bEAA[A-Za-z0-9]{90,}"),
    line("mapbox-secret-token", &["sk.eyj"], r"\bsk\.eyJ[A-Za-z0-9_-]{50,}\.[A-Za-z0-9_-]{20,}"),
    line("twitter-bearer-token", &["aaaaaaaaaaaaaaaaaaaaa"], r"\bAAAAAAAAAAAAAAAAAAAAA[A-Za-z0-9%]{30,}"),
    line("contentful-token", &["cfpat-"], r"\bCFPAT-[A-Za-z0-9_-]{43}"),
    line("docker-hub-pat", &["dckr_pat_"], r"\bdckr_pat_[A-Za-z0-9_-]{27,}"),
    line("jfrog-key", &["akcp", "cmvmdgtuojaxoj"], r"\b(?:AKCp[A-Za-z0-9]{69}|cmVmdGtuOjAxOj[A-Za-z0-9]{40,})"),
    line("alibaba-access-key-id", &["ltai"], r"\bLTAI[A-Za-z0-9]{20}\b"),
    line("new-relic-key", &["nrak-", "nrii-", "nrjs-", "nraa-"], r"\bNR(?:AK|II|JS|AA)-[A-Za-z0-9]{19,32}"),
    line("langsmith-key", &["lsv2_"], r"\blsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10}"),
    line("supabase-key", &["sbp_", "sb_secret_"], r"\b(?:sbp_[a-f0-9]{40}|sb_secret_[A-Za-z0-9_-]{20,})"),
    line("sourcegraph-token", &["sgp_"], r"\bsgp_(?:[a-fA-F0-9]{16}_)?[a-fA-F0-9]{40}"),
    line("prefect-key", &["pnu_"], r"\bpnu_[A-Za-z0-9]{36}"),
    line("buildkite-token", &["bkua_"], r"\bbkua_[a-f0-9]{40}"),
    line("terraform-cloud-token", &["atlasv1"], r"\b[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,}"),
    line("typeform-token", &["tfp_"], r"\btfp_[A-Za-z0-9_.=-]{40,}"),
    line("cloudflare-origin-ca-key", &["v1.0-"], r"\bv1\.0-[a-f0-9]{24}-[a-f0-9]{146}"),
    line("clickup-key", &["pk_"], r"\bpk_[0-9]{6,}_[A-Z0-9]{32}"),
    line("harness-pat", &["pat."], r"\bpat\.[A-Za-z0-9_-]{22}\.[a-f0-9]{24}\.[A-Za-z0-9]{20}"),
    line("octopus-deploy-key", &["api-"], r"\bAPI-[A-Z0-9]{26,}\b"),
    line("frameio-token", &["fio-u-"], r"\bfio-u-[A-Za-z0-9_=-]{64}"),
    line("scalingo-token", &["tk-us-"], r"\btk-us-[A-Za-z0-9_-]{48}"),
    line("infracost-key", &["ico-"], r"\bico-[A-Za-z0-9]{32}"),
    line("readme-key", &["rdme_"], r"\brdme_[a-z0-9]{70}"),
    line("adobe-client-secret", &["p8e-"], r"\bp8e-[A-Za-z0-9]{32}"),
    line("easypost-key", &["ezak", "eztk"], r"\bEZ[AT]K[A-Za-z0-9]{54}"),
    line("shippo-token", &["shippo_"], r"\bshippo_(?:live|test)_[a-fA-F0-9]{40}"),
    line("duffel-token", &["duffel_"], r"\bduffel_(?:test|live)_[A-Za-z0-9_=-]{43}"),
    line("yandex-key", &["aqvn"], r"\bAQVN[A-Za-z0-9_-]{35,38}"),
    line("openshift-token", &["sha256~"], r"\bsha256~[A-Za-z0-9_-]{43}"),
    line("nuget-key", &["oy2"], r"\boy2[a-z0-9]{43}"),
    line("onepassword-token", &["ops_eyj", "a3-"], r"\bops_eyJ[A-Za-z0-9+/_=-]{50,}|\bA3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}"),
    line("maxmind-key", &["_mmk"], r"\b[A-Za-z0-9]{6}_[A-Za-z0-9]{29}_mmk\b"),
    line("packagist-token", &["packagist_"], r"\bpackagist_[ou][ru]t_[a-f0-9]{68}"),
    line("defined-networking-key", &["dnkey-"], r"\bdnkey-[a-z0-9=_-]{26}-[a-z0-9=_-]{52}"),
];
