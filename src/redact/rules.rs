//! The redaction rules: data, not code (DESIGN §2 "knowledge is data"). Each rule is a
//! regex-lite expression plus the literal keywords (lowercase, matched ignoring ASCII case) of
//! which one must occur in the text for the expression to run, as gitleaks' rules carry
//! `keywords`; and where, relative to a keyword hit, a match starts ([`Start`]): the engine in
//! `super` runs the expression anchored there, so a keyword in ordinary text costs one short
//! attempt, not a search through the line (regex-lite has no literal optimisations: an
//! unanchored search costs a few hundred ns a byte).
//!
//! What is replaced: the capture group named `s` (or `e`, in an alternative) when the expression has one (the rest of the
//! match is context that stays, e.g. a header name), else the whole match. A quoted value
//! (`"…"`, `'…'`) keeps its quotes. Values that are placeholders (`true`, `null`, type names,
//! short numbers, an earlier mark) are left alone ([`NOT_SECRETS`], `super::is_placeholder`).
//!
//! Shapes follow the gitleaks families (github.com/gitleaks/gitleaks, config/gitleaks.toml),
//! with looser lengths where a provider's exact length is not documented. Every rule is proven
//! by tests/fixtures/redaction/secrets.txt; ordinary text by tests/fixtures/redaction/ordinary*.

use super::{Rule, Run, Scope, Start};
use Scope::{After, Before, Line, NextLine};

/// Mark of a private-key block.
pub const PRIVATE_KEY_MARK: &str = "[REDACTED PRIVATE KEY]";
/// How far from a keyword hit a block rule looks (the host hands the core at most 64 KiB).
const BLOCK: usize = 64 * 1024;

/// A provider key shape: the match starts at the keyword (its literal prefix), at a word start.
const fn prefix(id: &'static str, keywords: &'static [&'static str], regex: &'static str) -> Rule {
    at(id, keywords, regex, Start::Keyword { back: 0, word: true })
}

/// A rule on the hit's line, anchored at `start`, that replaces `s` (or the match).
const fn at(id: &'static str, keywords: &'static [&'static str], regex: &'static str, start: Start) -> Rule {
    Rule { id, keywords, regex, start, scope: Line, mark: super::MARK, not_followed_by: "", lead: "", needs: "" }
}

/// `NAME <separator> value` where NAME (the run of name characters before the separator)
/// matches `name` (empty: any name holding one of the keywords): the value is replaced. A value
/// followed by `(` or `[` is code (`token = getToken()`), not a secret.
const fn assignment(id: &'static str, keywords: &'static [&'static str], name: &'static str) -> Rule {
    Rule {
        id,
        keywords,
        regex: ASSIGNED_VALUE,
        start: Start::AfterRun { run: Run::Name, name },
        scope: NextLine,
        mark: super::MARK,
        not_followed_by: "([",
        lead: "=:%",
        needs: "",
    }
}

/// `rule` with its cheap pre-checks (see [`Rule::lead`], [`Rule::needs`]).
const fn checked(rule: Rule, lead: &'static str, needs: &'static str) -> Rule {
    Rule { lead, needs, ..rule }
}

/// Values that are never a secret, whatever the name before them (ignoring ASCII case):
/// booleans and nulls (`auth: true`), and type names (`apiKey: string`, `password: str`).
pub const NOT_SECRETS: &[&str] = &[
    // A YAML block indicator or a shell line continuation: the value is on the next line.
    "|", "|-", "|+", "\\",
    "true", "false", "null", "none", "nil", "undefined", "yes", "no", "on", "off", "string", "str", "number", "int",
    "integer", "bool", "boolean", "bytes", "object", "any", "float",
];

/// After a secret's name: the separator and the value (quoted, or up to a space or separator).
/// A JSON-escaped quote (`\"`, a JSON file printed inside a JSON transcript line) quotes too.
/// Percent-encoded (a URL or form inside a URL's query), `=` is `%3D`, `:` is `%3A`, a quote `%22`:
/// the value then runs to the next `%26` (`&`), `%22`, other separator or space.
///
/// First (group `n`), a value on the line after its name: the name's line ends with the
/// separator (`password:`, `KEY =`, a YAML block indicator `|`/`>`, a shell continuation `\`)
/// and the value is the next line's first word or quoted string, indented (after `\`: any), not
/// followed by `:`, `(` or `[`. Only that one line: a multi-line secret in a YAML block is a key, which the
/// private-key rules catch. A word followed by `:` is the next key of a YAML mapping (`auth:`
/// then `  user: bob`), a `-` or `#` a list or a comment: not values.
const ASSIGNED_VALUE: &str = r#"(?:\\?["'])?[ \t]*(?:=>|:=|==?|:)(?:[ \t]*\\\r?\n[ \t]*|[ \t]*(?:[|>][-+]?[ \t]*)?\r?\n[ \t]+)(?P<n>"[^"\r\n]*"|'[^'\r\n]*'|[^\s"',;{}\[\]()<>&:#\\-][^\s"',;(){}\[\]:]*)(?:[\s"',;){}\]]|$)|(?:\\?["'])?[ \t]*(?:=>|:=|==?|:)[ \t]*(?P<s>\\"(?:[^"\\\r\n]|\\[^"\r\n])*\\"|"[^"\r\n]*"|'[^'\r\n]*'|[^\s"',;{}\[\]()<>&][^\s"',;(){}\[\]]*)|(?i:(?:%22)?%3[ad](?:%22)?)(?P<e>(?:[^\s"'%&]|(?i:%[013-9a-f][0-9a-f]|%2[013-57-9a-f]))+)"#;

/// A secret's name in XML (a tag, or an attribute's value before `value="…"`): the shapes of the
/// assignment rules (holding secret, passw(or)d, pwd, token, credential or api key; ending in
/// key with something before it; ending in a pass/auth/pat segment). A plist's bare `<key>` is
/// not one.
const XML_SECRET_NAME: &str = r"(?i)[\w.-]*(?:secret|passw|pwd|token|credential|api[_.-]?key)[\w.-]*|[\w.-]+key|(?:[\w.-]*[_.-])?(?:pass|auth|pat)";
/// After the name: `>value</` (an element), or `" value="value"` (.NET appSettings
/// `<add key="ApiKey" value="…"/>`, Java/Ant `<property name="db.password" value="…"/>`).
const XML_VALUE: &str = r#">(?P<s>[^<\r\n]+)</|["'][ \t]+value[ \t]*=[ \t]*["'](?P<e>[^"'\r\n]*)"#;


pub const RULES: &[Rule] = &[
    // --- Blocks spanning lines (rare keywords: searched, not anchored) -------------------------
    // A whole PEM private key (PKCS#1/#8, OpenSSH, EC, DSA, PGP, encrypted), or from its BEGIN
    // line to the end of the window when the END line is not there (cut off, still printing).
    Rule {
        id: "private-key",
        keywords: &["private key"],
        regex: r"-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----(?s:.*?)(?:-----END[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----|\z)",
        start: Start::Search,
        scope: After(BLOCK),
        mark: PRIVATE_KEY_MARK,
        not_followed_by: "",
        lead: "",
        needs: "",
    },
    // The body of a private key whose BEGIN line is not in the text (a tail window started
    // inside it): the base64 run (lines, or `\n`-joined in JSON) that ends at an END line.
    Rule {
        id: "private-key-body",
        keywords: &["private key"],
        regex: r"(?:[A-Za-z0-9+/=]+(?:[ \t]*\r?\n[ \t]*|\\n))+-----END[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----",
        start: Start::Search,
        scope: Before(BLOCK),
        mark: PRIVATE_KEY_MARK,
        not_followed_by: "",
        lead: "",
        needs: "",
    },
    // PuTTY .ppk: the lines after `Private-Lines: N`.
    Rule {
        id: "putty-private-key",
        keywords: &["private-lines"],
        regex: r"Private-Lines: [0-9]+\r?\n(?P<s>(?:[A-Za-z0-9+/=]+(?:\r?\n|\z))+)",
        start: Start::Keyword { back: 0, word: false },
        scope: After(BLOCK),
        mark: PRIVATE_KEY_MARK,
        not_followed_by: "",
        lead: "",
        needs: "",
    },
    // --- Credentials by context (headers, URLs, command lines, assignments) ------------------
    // Header name kept, value dropped: `Authorization: Bearer abc`, `"x-api-key":"abc"`.
    checked(at(
        "auth-header",
        &["authorization", "api-key", "apikey", "auth-token", "private-token", "vault-token", "access-token", "subscription-key"],
        r#"(?i)(?:proxy-)?(?:authorization|x-api-key|api-key|x-goog-api-key|x-auth-token|private-token|x-vault-token|x-access-token|ocp-apim-subscription-key|apikey)(?:\\?["'])?\s*[:=]\s*(?:\\?["'])?(?:(?:bearer|basic|token|digest|bot|negotiate|sso-key|key)\s+)?(?P<s>[^\s"',;\\]+)"#,
        Start::Run { run: Run::Word, before: "" },
    ), "", ":="),
    // The whole cookie list, not only the first cookie.
    checked(at("cookie-header", &["cookie"], r#"(?i)(?:set-)?cookie(?:\\?["'])?\s*[:=]\s*(?:\\?["'])?(?P<s>[^"'\r\n\\]+)"#, Start::Run { run: Run::Word, before: "" }), "", ":="),
    // A token has a digit somewhere (`Bearer authentication` is prose).
    at("bearer-token", &["bearer"], r"(?i)bearer\s+(?P<s>[A-Za-z._~+/=-]*[0-9][A-Za-z0-9._~+/=-]*)", Start::Keyword { back: 0, word: true }),
    // `Authorization: Bot <token>` and the like outside a header.
    at("bot-token", &["bot "], r"(?i)bot\s+(?P<s>[A-Za-z0-9._-]{50,})", Start::Keyword { back: 0, word: true }),
    // `scheme://user:password@host`: the password.
    checked(at(
        "url-credentials",
        &["://"],
        r#"(?i)[a-z][a-z0-9+.-]*://[^\s:/@"'<>]*:(?P<s>[^\s/@"'<>]+)@"#,
        Start::Run { run: Run::Scheme, before: "" },
    ), "", "@"),
    // A Sentry DSN's key: `https://<32 hex>@o1.ingest.sentry.io/2`.
    checked(at(
        "sentry-dsn",
        &["://"],
        r"https?://(?P<s>[0-9a-f]{32})(?::[0-9a-f]{32})?@[A-Za-z0-9.-]*sentry",
        Start::Run { run: Run::Scheme, before: "" },
    ), "", "@"),
    // `curl -u user:password`, `--user=user:password`, `--proxy-user …`: the password.
    checked(at(
        "cli-user-password",
        &["-u", "--user", "--proxy-user"],
        r#"(?:-u|--user|--proxy-user)(?:\s+|=)?["']?[^\s:"']*:(?P<s>[^\s"']+)"#,
        Start::Run { run: Run::Flag, before: " \t" },
    ), "-", ":"),
    // `--password value`, `--token value` (the `=` form is an assignment below).
    checked(at(
        "cli-secret-flag",
        &["pass", "token", "key", "secret"],
        r#"(?i)--?(?:password|passwd|pass|token|api-key|apikey|secret|client-secret|auth-token|access-token)\s+["']?(?P<s>[^\s"'-][^\s"']*)"#,
        Start::Run { run: Run::Flag, before: " \t" },
    ), "-", ""),
    at("sshpass", &["sshpass"], r#"sshpass\s+-p\s*["']?(?P<s>[^\s"']+)"#, Start::Keyword { back: 0, word: true }),
    at("netrc", &["machine"], r"(?i)machine\s+\S+\s+login\s+\S+\s+password\s+(?P<s>\S+)", Start::Keyword { back: 0, word: true }),
    // Signed URLs: Azure SAS `sig=`, S3/GCS presigned signatures and session tokens.
    checked(at(
        "url-signature",
        &["sig", "x-amz-", "x-goog-"],
        r#"(?i)(?:sig|signature|x-amz-signature|x-amz-credential|x-amz-security-token|x-goog-signature|x-goog-credential)=(?P<s>[^&\s"'#]+)"#,
        Start::Run { run: Run::Word, before: "?&" },
    ), "", "="),
    // `NAME=value`, `NAME = value`, `NAME: value`, `"name": "value"`, `name => 'value'`: the
    // value, when NAME contains secret, passw(or)d, pwd, token, credential or api key (this
    // rule), ends in key with something before it (optionally then _id/_data/…: the next), or
    // ends in a pass/auth/pat segment (the one after).
    assignment(
        "secret-assignment",
        &["secret", "passw", "pwd", "token", "credential", "apikey", "api_key", "api-key", "api.key"],
        "",
    ),
    assignment("key-assignment", &["key"], r"(?i)[\w.-]+key(?:[_.-]?(?:id|data|value|b64|base64))?"),
    assignment("pass-auth-assignment", &["pass", "auth", "pat"], r"(?i)(?:[\w.-]*[_.-])?(?:pass|auth|pat)"),
    // `mysql -pSECRET` (the password glued to `-p`; `-P` is the port), mysqldump, mariadb …
    at(
        "mysql-password-flag",
        &["mysql", "mariadb"],
        r#"(?:mysql|mariadb)[a-z-]*[ \t][^\r\n|;&]*?[ \t]-p(?P<s>"[^"\r\n]+"|'[^'\r\n]+'|[^\s"'|;&]+)"#,
        Start::Keyword { back: 0, word: true },
    ),
    // `<password>x</password>`, `<ApiKey>x</ApiKey>`; `<add key="ApiKey" value="x"/>`. Anchored
    // after the name, like the assignments: an expression that had to find the name itself
    // would scan a long run of name characters once for every keyword in it.
    Rule {
        id: "xml-secret",
        keywords: &["secret", "passw", "pwd", "token", "credential", "key", "pass", "auth"],
        regex: XML_VALUE,
        start: Start::AfterRun { run: Run::Name, name: XML_SECRET_NAME },
        scope: Line,
        mark: super::MARK,
        not_followed_by: "",
        lead: ">v",
        needs: "",
    },
    // --- Provider key shapes (whole match) -----------------------------------------------------
    prefix("openai-anthropic-key", &["sk-"], r"sk-(?:ant-|proj-|svcacct-|admin-|or-v1-)?[A-Za-z0-9_-]{16,}"),
    prefix("groq-key", &["gsk_"], r"gsk_[A-Za-z0-9]{40,}"),
    prefix("xai-key", &["xai-"], r"xai-[A-Za-z0-9]{40,}"),
    prefix("perplexity-key", &["pplx-"], r"pplx-[A-Za-z0-9]{40,}"),
    prefix("replicate-token", &["r8_"], r"r8_[A-Za-z0-9]{30,}"),
    prefix("google-api-key", &["aiza"], r"AIza[0-9A-Za-z_-]{30,}"),
    prefix("google-oauth-access-token", &["ya29."], r"ya29\.[0-9A-Za-z_-]{20,}"),
    prefix("google-oauth-client-secret", &["gocspx-"], r"GOCSPX-[0-9A-Za-z_-]{20,}"),
    prefix("google-oauth-refresh-token", &["1//0"], r"1//0[0-9A-Za-z_-]{30,}"),
    prefix("github-token", &["ghp_", "gho_", "ghu_", "ghs_", "ghr_"], r"gh[pousr]_[A-Za-z0-9]{20,}"),
    prefix("github-fine-grained-pat", &["github_pat_"], r"github_pat_[A-Za-z0-9_]{20,}"),
    prefix(
        "gitlab-token",
        &["glpat-", "gldt-", "glptt-", "glrt-", "glsoat-", "glcbt-", "glimt-", "glft-", "glagent-", "gloas-", "glffct-", "glwt-"],
        r"(?:glpat|gldt|glptt|glrt|glsoat|glcbt|glimt|glft|glagent|gloas|glffct|glwt)-[A-Za-z0-9_-]{20,}",
    ),
    prefix("gitlab-runner-registration", &["gr1348941"], r"GR1348941[A-Za-z0-9_-]{20,}"),
    prefix("slack-token", &["xoxa-", "xoxb-", "xoxp-", "xoxo-", "xoxs-", "xoxr-", "xoxe-"], r"xox[abposre]-[A-Za-z0-9-]{10,}"),
    prefix("slack-app-token", &["xapp-"], r"xapp-[0-9]-[A-Za-z0-9-]{20,}"),
    at(
        "slack-webhook",
        &["hooks.slack.com"],
        r"hooks\.slack\.com/(?:services|workflows|triggers)/(?P<s>[A-Za-z0-9+/_-]{20,})",
        Start::Keyword { back: 0, word: false },
    ),
    at(
        "discord-webhook",
        &["discord"],
        r"discord(?:app)?\.com/api/webhooks/[0-9]+/(?P<s>[A-Za-z0-9_-]{40,})",
        Start::Keyword { back: 0, word: false },
    ),
    // A Discord bot token has no literal prefix: only next to the word discord or `Bot `.
    at(
        "discord-bot-token",
        &["discord", "bot "],
        r"\b[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,40}\b",
        Start::Search,
    ),
    // Often right after `bot` in an API URL, so no word start.
    at("telegram-bot-token", &[":aa"], r"[0-9]{8,10}:AA[A-Za-z0-9_-]{30,}", Start::Run { run: Run::Digits, before: "" }),
    prefix("aws-access-key-id", &["akia", "asia", "abia", "acca", "a3t"], r"(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b"),
    at("azure-ad-client-secret", &["q~"], r"[A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34}", Start::Keyword { back: 4, word: true }),
    at("azure-identifiable-key", &["jqqj9"], r"[A-Za-z0-9]{52}JQQJ9[A-Za-z0-9]{5,}", Start::Keyword { back: 52, word: true }),
    prefix("huggingface-token", &["hf_", "api_org_"], r"(?:hf_|api_org_)[A-Za-z0-9]{30,}"),
    prefix("npm-token", &["npm_"], r"npm_[A-Za-z0-9]{36,}"),
    prefix("pypi-token", &["pypi-age"], r"pypi-AgE[A-Za-z0-9_-]{50,}"),
    prefix("stripe-key", &["sk_live", "sk_test", "rk_live", "rk_test", "sk_prod", "rk_prod"], r"[sr]k_(?:live|test|prod)_[A-Za-z0-9]{16,}"),
    prefix("stripe-webhook-secret", &["whsec_"], r"whsec_[A-Za-z0-9+/=]{24,}"),
    prefix("sendgrid-key", &["sg."], r"SG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{16,64}"),
    prefix("twilio-api-key", &["sk"], r"SK[0-9a-fA-F]{32}\b"),
    prefix("mailgun-key", &["key-"], r"key-[0-9a-f]{32}\b"),
    at("mailchimp-key", &["-us"], r"[0-9a-f]{32}-us[0-9]{1,2}\b", Start::Keyword { back: 32, word: true }),
    prefix("digitalocean-token", &["dop_v1_", "doo_v1_", "dor_v1_"], r"do[por]_v1_[a-f0-9]{64}"),
    prefix("vault-token", &["hvs.", "hvb.", "hvr."], r"hv[sbr]\.[A-Za-z0-9_-]{20,}"),
    prefix("heroku-key", &["hrku-"], r"HRKU-[A-Za-z0-9_-]{20,}"),
    prefix("sentry-token", &["sntrys_", "sntryu_"], r"sntry[su]_[A-Za-z0-9+/=_-]{40,}"),
    prefix("grafana-cloud-token", &["glc_"], r"glc_[A-Za-z0-9+/]{32,}={0,2}"),
    prefix("grafana-service-account-token", &["glsa_"], r"glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}"),
    prefix("grafana-api-key", &["eyjrijoi"], r"eyJrIjoi[A-Za-z0-9+/]{50,}={0,2}"),
    prefix("linear-key", &["lin_api_", "lin_oauth_"], r"lin_(?:api|oauth)_[A-Za-z0-9]{32,}"),
    prefix("notion-token", &["ntn_", "secret_"], r"(?:ntn_[A-Za-z0-9]{40,}|secret_[A-Za-z0-9]{43}\b)"),
    prefix("shopify-token", &["shpat_", "shpca_", "shppa_", "shpss_"], r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}"),
    prefix("age-secret-key", &["age-secret-key-1"], r"AGE-SECRET-KEY-1[0-9A-Z]{58}"),
    prefix("jwt", &["eyj"], r"eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*"),
    prefix("atlassian-token", &["atatt3", "atctt3"], r"AT[AC]TT3[A-Za-z0-9_=-]{100,}"),
    prefix("databricks-token", &["dapi"], r"dapi[a-f0-9]{32}(?:-[0-9]+)?\b"),
    prefix("doppler-token", &["dp.pt.", "dp.st.", "dp.sa.", "dp.ct.", "dp.scim.", "dp.audit."], r"dp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,}"),
    prefix("dynatrace-token", &["dt0c01."], r"dt0c01\.[A-Z0-9]{24}\.[A-Z0-9]{64}"),
    prefix("flyio-token", &["fo1_", "flyv1"], r"fo1_[A-Za-z0-9_-]{40,}|\bFlyV1 fm[12][ar]?_[A-Za-z0-9+/=,_-]{50,}"),
    prefix("planetscale-token", &["pscale_"], r"pscale_(?:tkn|oauth|pw)_[A-Za-z0-9=._-]{32,}"),
    prefix("postman-key", &["pmak-"], r"PMAK-[a-fA-F0-9]{24}-[a-fA-F0-9]{34}"),
    prefix("pulumi-token", &["pul-"], r"pul-[a-f0-9]{40}"),
    prefix("rubygems-key", &["rubygems_"], r"rubygems_[a-f0-9]{48}"),
    prefix("square-token", &["eaaa", "sq0atp-", "sq0csp-"], r"(?:EAAA[A-Za-z0-9_-]{60}|sq0(?:atp|csp)-[A-Za-z0-9_-]{22,})"),
    prefix("facebook-token", &["eaa"], r"EAA[A-Za-z0-9]{90,}"),
    prefix("mapbox-secret-token", &["sk.eyj"], r"sk\.eyJ[A-Za-z0-9_-]{50,}\.[A-Za-z0-9_-]{20,}"),
    prefix("twitter-bearer-token", &["aaaaaaaaaaaaaaaaaaaaa"], r"AAAAAAAAAAAAAAAAAAAAA[A-Za-z0-9%]{30,}"),
    prefix("contentful-token", &["cfpat-"], r"CFPAT-[A-Za-z0-9_-]{43}"),
    prefix("docker-hub-pat", &["dckr_pat_"], r"dckr_pat_[A-Za-z0-9_-]{27,}"),
    prefix("jfrog-key", &["akcp", "cmvmdgtuojaxoj"], r"(?:AKCp[A-Za-z0-9]{69}|cmVmdGtuOjAxOj[A-Za-z0-9]{40,})"),
    prefix("alibaba-access-key-id", &["ltai"], r"LTAI[A-Za-z0-9]{20}\b"),
    prefix("new-relic-key", &["nrak-", "nrii-", "nrjs-", "nraa-"], r"NR(?:AK|II|JS|AA)-[A-Za-z0-9]{19,32}"),
    prefix("langsmith-key", &["lsv2_"], r"lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10}"),
    prefix("supabase-key", &["sbp_", "sb_secret_"], r"(?:sbp_[a-f0-9]{40}|sb_secret_[A-Za-z0-9_-]{20,})"),
    prefix("sourcegraph-token", &["sgp_"], r"sgp_(?:[a-fA-F0-9]{16}_)?[a-fA-F0-9]{40}"),
    prefix("prefect-key", &["pnu_"], r"pnu_[A-Za-z0-9]{36}"),
    prefix("buildkite-token", &["bkua_"], r"bkua_[a-f0-9]{40}"),
    at("terraform-cloud-token", &["atlasv1"], r"[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,}", Start::Keyword { back: 15, word: true }),
    prefix("typeform-token", &["tfp_"], r"tfp_[A-Za-z0-9_.=-]{40,}"),
    prefix("cloudflare-origin-ca-key", &["v1.0-"], r"v1\.0-[a-f0-9]{24}-[a-f0-9]{146}"),
    prefix("clickup-key", &["pk_"], r"pk_[0-9]{6,}_[A-Z0-9]{32}"),
    prefix("harness-pat", &["pat."], r"pat\.[A-Za-z0-9_-]{22}\.[a-f0-9]{24}\.[A-Za-z0-9]{20}"),
    prefix("octopus-deploy-key", &["api-"], r"API-[A-Z0-9]{26,}\b"),
    prefix("frameio-token", &["fio-u-"], r"fio-u-[A-Za-z0-9_=-]{64}"),
    prefix("scalingo-token", &["tk-us-"], r"tk-us-[A-Za-z0-9_-]{48}"),
    prefix("infracost-key", &["ico-"], r"ico-[A-Za-z0-9]{32}"),
    prefix("readme-key", &["rdme_"], r"rdme_[a-z0-9]{70}"),
    prefix("adobe-client-secret", &["p8e-"], r"p8e-[A-Za-z0-9]{32}"),
    prefix("easypost-key", &["ezak", "eztk"], r"EZ[AT]K[A-Za-z0-9]{54}"),
    prefix("shippo-token", &["shippo_"], r"shippo_(?:live|test)_[a-fA-F0-9]{40}"),
    prefix("duffel-token", &["duffel_"], r"duffel_(?:test|live)_[A-Za-z0-9_=-]{43}"),
    prefix("yandex-key", &["aqvn"], r"AQVN[A-Za-z0-9_-]{35,38}"),
    prefix("openshift-token", &["sha256~"], r"sha256~[A-Za-z0-9_-]{43}"),
    prefix("nuget-key", &["oy2"], r"oy2[a-z0-9]{43}"),
    prefix("onepassword-token", &["ops_eyj", "a3-"], r"ops_eyJ[A-Za-z0-9+/_=-]{50,}|\bA3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}"),
    at("maxmind-key", &["_mmk"], r"[A-Za-z0-9]{6}_[A-Za-z0-9]{29}_mmk\b", Start::Keyword { back: 36, word: true }),
    prefix("packagist-token", &["packagist_"], r"packagist_[ou][ru]t_[a-f0-9]{68}"),
    prefix("defined-networking-key", &["dnkey-"], r"dnkey-[a-z0-9=_-]{26}-[a-z0-9=_-]{52}"),
];
