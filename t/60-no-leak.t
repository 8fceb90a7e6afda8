#!/usr/bin/perl

# Nothing the module writes carries the data it protects: PII values from
# JSON bodies and credentials from headers and the query never show up in
# response headers, denial bodies, an access log with every $azoai_*
# variable, headers the upstream receives (other than the credentials the
# client sent), or the module's own error.log lines at debug level.  The
# upstream body carries the masks instead of the values.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use AzoaiTest;

AzoaiTest::require_module();

my $t = AzoaiTest->new(error_log_level => 'debug');

my @VARS = qw(request_id decision reason operation deployment model
              model_version api_version pii_count pii_types body_sha256
              prompt_tokens completion_tokens total_tokens);

my $log_format = join ',', '"id":"$http_x_test_id"',
                           map { qq("$_":"\$azoai_$_") } @VARS;
my $upstream_vars = join '|', map { "\$azoai_$_" } @VARS;

$t->write_catalog;
$t->write_conf(<<"EOF");
    log_format leak escape=json '{$log_format}';
    azoai_catalog %%CATALOG%%;
    azoai_deployment pii-block gpt-4o 2024-11-20;
    azoai_deployment chat-report gpt-4o 2024-11-20;

    server {
        listen 127.0.0.1:%%PORT%%;
        azoai on;
        azoai_pii on;
        azoai_pii_pattern employee_id "EMP-[0-9]{6}";
        access_log %%DIR%%/leak.log leak;
        proxy_set_header X-Vars "$upstream_vars";

        location / {
            proxy_pass http://%%UPSTREAM%%;
        }
        location /openai/deployments/pii-block/ {
            azoai_pii_action us_ssn block;
            proxy_pass http://%%UPSTREAM%%;
        }
        location /openai/deployments/chat-report/ {
            azoai_mode report;
            azoai_pii_action us_ssn block;
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF
$t->start_upstream->start;

# the values, with their tags
my @PII = (
    [EMAIL       => 'jane.doe@example.com'],
    [PHONE       => '+1 415-555-2671'],
    [CREDIT_CARD => '4111 1111 1111 1111'],
    [IBAN        => 'DE89 3704 0044 0532 0130 00'],
    [US_SSN      => '536-90-4399'],
    [IPV4        => '203.0.113.42'],
    [IPV6        => '2001:db8::8a2e:370:7334'],
    [EMPLOYEE_ID => 'EMP-918273'],
);

my $API_KEY = 'k3y5ecretdeadbeefcafef00d0123456';
my $BEARER = 'eyJhbGciOiJSUzI1NiJ9.c2VjcmV0.c2lnbmF0dXJlc2VjcmV0';
my $APIM = 'apimsecret0987654321abcdef';
my $QUERY_KEY = 'qk3ysecretquery5f0e1d2c3b4a5968';
my %CRED_HEADER = ('api-key' => $API_KEY,
                   'authorization' => "Bearer $BEARER",
                   'ocp-apim-subscription-key' => $APIM);
my @CREDS = (['api-key', $API_KEY], ['Authorization', "Bearer $BEARER"],
             ['Ocp-Apim-Subscription-Key', $APIM]);

# what must never appear: each value, the digits of the numbers (long
# enough not to turn up by chance), the credentials
my @SECRETS;
for my $p (@PII) {
    push @SECRETS, ["$p->[0] value", $p->[1]];
    (my $digits = $p->[1]) =~ s/\D//g;
    push @SECRETS, ["$p->[0] digits", $digits]
        if length $digits >= 8 && $digits ne $p->[1];
    (my $compact = $p->[1]) =~ s/[ -]//g;
    push @SECRETS, ["$p->[0] compact", $compact]
        if $compact ne $p->[1] && $compact ne $digits;
}
my @CRED_SECRETS = (['api-key', $API_KEY], ['bearer token', $BEARER],
                    ['apim key', $APIM], ['query api-key', $QUERY_KEY]);
push @SECRETS, @CRED_SECRETS;

# names of the secrets that occur in text
sub leaks {
    my ($text) = @_;
    return () unless defined $text;
    return map { $_->[0] } grep { index($text, $_->[1]) >= 0 } @SECRETS;
}

sub pii_leaks {
    my ($text) = @_;
    my %cred = map { $_->[0] => 1 } @CRED_SECRETS;
    return grep { !$cred{$_} } leaks($text);
}

my $TEXT = join ', ', map { "$_->[0] is $_->[1]" } @PII;
my $BODY = qq({"messages":[{"role":"system","content":"be brief"},)
    . qq({"role":"user","content":"$TEXT"}],"user":"$PII[0][1]",)
    . qq("metadata":{"ip":"$PII[5][1]"}});
my $MASKED = $BODY;
$MASKED =~ s/\Q$_->[1]\E/[$_->[0]]/g for @PII;

my $GA = 'api-version=2024-10-21';
my $n = 0;
my %logged;

# sends the request (credentials added), returns (response, upstream
# requests it caused, access log record)
sub send_req {
    my ($req) = @_;
    my $id = 'leak' . ++$n;
    my $before = $t->upstream_count;

    $req->{method} ||= 'POST';
    $req->{headers} = [['Content-Type', 'application/json'], @CREDS,
                       ['X-Test-Id', $id], @{$req->{headers} || []}];
    my $r = $t->request($req);
    my $line = $t->access_log_wait(qr/^\{"id":"$id"/, 'leak.log');
    my $rec = $line ? json_decode($line) : undef;
    ok($rec, "$id: access log record") or diag($line // 'no line');
    $logged{$id} = $rec || {};
    return ($r, [$t->upstream_requests($before)], $rec || {});
}

# the response: no secret in any header; for a denial, none in the body
sub check_response {
    my ($r, $name, %o) = @_;
    my @h = map { "$_->[0]: $_->[1]" } @{$r->{header_list} || []};

    ok(@h, "$name: response has headers");
    my @bad = leaks(join "\n", @h);
    ok(!@bad, "$name: no secret in the response headers")
        or diag(join ', ', @bad);
    if ($o{denial}) {
        @bad = leaks($r->{body});
        ok(!@bad, "$name: no secret in the denial body")
            or diag(join(', ', @bad) . ': ' . $r->{body});
    }
}

# what the upstream got: credentials only in the client's own credential
# headers, no PII in any header
sub check_upstream_headers {
    my ($up, $name) = @_;
    my @bad;

    for my $h (@{$up->{header_list}}) {
        my ($k, $v) = (lc $h->[0], $h->[1]);
        if (exists $CRED_HEADER{$k}) {
            push @bad, "$k altered" if $v ne $CRED_HEADER{$k};
            push @bad, map { "$_ in $k" } pii_leaks($v);
            next;
        }
        push @bad, map { "$_ in $h->[0]" } leaks($v);
    }
    ok(!@bad, "$name: upstream headers hold no secret beyond the "
              . "client's credentials") or diag(join ', ', @bad);
    my $vars = $up->{headers}{'x-vars'};
    ok(defined $vars && $vars =~ /^[0-9a-f]{32}\|/,
       "$name: \$azoai_* reached the upstream via proxy_set_header")
        or diag($vars // 'absent');
    is($up->{headers}{'x-azoai-request-id'},
       defined $vars ? (split /\|/, $vars)[0] : undef,
       "$name: \$azoai_request_id is X-AzOAI-Request-Id");
}

sub chat_path {
    my ($dep, $query) = @_;
    return "/openai/deployments/$dep/chat/completions?" . ($query // $GA);
}

# 1. allowed, masked
{
    my ($r, $ups, $rec) = send_req({ path => chat_path('chat-prod'),
                                     body => $BODY });
    is($r->{status}, 200, 'masked: allowed');
    is($r->{headers}{'x-azoai-decision'}, 'allow', 'masked: decision');
    is(scalar @$ups, 1, 'masked: one upstream request');
    my $up = $ups->[0] || { header_list => [], headers => {}, body => '' };
    is($up->{body}, $MASKED, 'masked: upstream body has the masks');
    is($up->{headers}{'content-length'}, length $MASKED,
       'masked: Content-Length of the masked body');
    my @bad = leaks($up->{body});
    ok(!@bad, 'masked: no secret in the upstream body')
        or diag(join ', ', @bad);
    my $found = 0;
    $found += () = $BODY =~ /\Q$_->[1]\E/g for @PII;
    is($r->{headers}{'x-azoai-pii-masked'}, $found,
       "masked: X-AzOAI-PII-Masked $found");
    is($up->{headers}{'x-azoai-pii-masked'}, $found,
       'masked: upstream X-AzOAI-PII-Masked');
    is($rec->{pii_count}, $found, 'masked: $azoai_pii_count');
    like($rec->{pii_types}, qr/\bemail:2\b/, 'masked: $azoai_pii_types');
    check_response($r, 'masked');
    check_upstream_headers($up, 'masked');
}

# 2. denied: preview api-version
{
    my ($r, $ups, $rec) = send_req({
        path => chat_path('chat-prod',
                          "api-version=2025-04-01-preview&api-key=$QUERY_KEY"),
        body => $BODY });
    is_denial($r, 403, 'PreviewApiVersionBlocked', 'preview: denied');
    is(scalar @$ups, 0, 'preview: upstream received nothing');
    is($rec->{reason}, 'PreviewApiVersionBlocked', 'preview: logged reason');
    check_response($r, 'preview', denial => 1);
}

# 3. PII block
{
    my ($r, $ups, $rec) = send_req({ path => chat_path('pii-block'),
                                     body => $BODY });
    is_denial($r, 403, 'PiiBlocked', 'block: denied');
    is(scalar @$ups, 0, 'block: upstream received nothing');
    like($r->{body}, qr/us.ssn/i, 'block: message names the type');
    is($rec->{reason}, 'PiiBlocked', 'block: logged reason');
    check_response($r, 'block', denial => 1);
}

# 4. report mode: a would-be denial (preview api-version and an SSN under
# block) goes through; report changes no body
{
    my ($r, $ups, $rec) = send_req({
        path => chat_path('chat-report', 'api-version=2025-04-01-preview'),
        body => $BODY });
    is($r->{status}, 200, 'report: forwarded');
    is($r->{headers}{'x-azoai-decision'}, 'report-deny',
       'report: X-AzOAI-Decision report-deny');
    is($rec->{decision}, 'report-deny', 'report: logged decision');
    is($rec->{reason}, 'PreviewApiVersionBlocked',
       'report: logged reason PreviewApiVersionBlocked');
    is(scalar @$ups, 1, 'report: one upstream request');
    my $up = $ups->[0] || { header_list => [], headers => {}, body => '' };
    is($up->{body}, $BODY, 'report: body unchanged');
    check_response($r, 'report');
    check_upstream_headers($up, 'report');

    # GA api-version: the SSN under block is the would-be denial
    ($r, $ups, $rec) = send_req({ path => chat_path('chat-report'),
                                  body => $BODY });
    is($r->{headers}{'x-azoai-decision'}, 'report-deny',
       'report PII: report-deny');
    is($rec->{reason}, 'PiiBlocked', 'report PII: logged reason PiiBlocked');
    $up = $ups->[0] || { header_list => [], headers => {}, body => '' };
    is($up->{body}, $BODY, 'report PII: body unchanged');
    check_response($r, 'report PII');
    check_upstream_headers($up, 'report PII');
}

# 5. malformed JSON with an e-mail (and more) in it
{
    my $bad_body = substr($BODY, 0, -2) . ',"x":}';
    my ($r, $ups, $rec) = send_req({ path => chat_path('chat-prod'),
                                     body => $bad_body });
    is_denial($r, 400, 'InvalidBody', 'invalid: denied');
    is(scalar @$ups, 0, 'invalid: upstream received nothing');
    check_response($r, 'invalid', denial => 1);

    # a string cut short just after a value
    my $cut = '{"messages":[{"role":"user","content":"mail '
        . "$PII[0][1] card $PII[2][1]";
    ($r, $ups, $rec) = send_req({ path => chat_path('chat-prod'),
                                  body => $cut });
    is_denial($r, 400, 'InvalidBody', 'truncated: denied');
    check_response($r, 'truncated', denial => 1);
}

# 6. ambiguous: api-version twice, the key in the query
{
    my ($r, $ups, $rec) = send_req({
        path => chat_path('chat-prod',
                          "$GA&api-key=$QUERY_KEY&api-version=2024-06-01"),
        body => $BODY });
    is_denial($r, 400, 'AmbiguousRequest', 'ambiguous: denied');
    is(scalar @$ups, 0, 'ambiguous: upstream received nothing');
    check_response($r, 'ambiguous', denial => 1);

    # model twice in the body, PII beside it
    ($r, $ups, $rec) = send_req({ path => '/openai/v1/chat/completions',
        body => qq({"model":"chat-prod","user":"$PII[0][1]",)
                . qq("model":"chat-mini","messages":[]}) });
    is_denial($r, 400, 'AmbiguousRequest', 'model twice: denied');
    my $msg = (json_decode($r->{body}) || {})->{error}{message} // '';
    like($msg, qr/model/, 'model twice: the message names the field');
    unlike($msg, qr/\?model\?/,
           'model twice: the field name is not mangled into ?model?');
    check_response($r, 'model twice', denial => 1);
}

# 7. realtime with the key in the query: allowed and denied
{
    my ($r, $ups, $rec) = send_req({ method => 'GET',
        path => "/openai/realtime?$GA&deployment=realtime-ga"
                . "&api-key=$QUERY_KEY" });
    is($r->{status}, 200, 'realtime: allowed');
    is(scalar @$ups, 1, 'realtime: one upstream request');
    my $up = $ups->[0] || { header_list => [], headers => {},
                            request_line => '' };
    like($up->{request_line}, qr/api-key=\Q$QUERY_KEY\E/,
         'realtime: the client\'s own query reaches the upstream');
    check_response($r, 'realtime');
    check_upstream_headers($up, 'realtime');

    ($r, $ups, $rec) = send_req({ method => 'GET',
        path => "/openai/realtime?$GA&api-key=$QUERY_KEY"
                . '&deployment=rt-preview' });
    is_denial($r, 403, 'PreviewModelBlocked', 'realtime preview: denied');
    check_response($r, 'realtime preview', denial => 1);
}

# the access log: every variable, no secret, one record per request
{
    my $log = $t->read_file('leak.log') // '';
    my @lines = grep { /\S/ } split /\n/, $log;
    is(scalar @lines, $n, "access log: $n records");
    my @bad = leaks($log);
    ok(!@bad, 'access log: no secret') or diag(join ', ', @bad);
    my @deny = grep { ($_->{decision} // '') eq 'deny' } values %logged;
    ok(@deny >= 6, 'access log: the denials are there');
    my @bad_ids = grep { ($_->{request_id} // '') !~ /^[0-9a-f]{32}$/ }
                  values %logged;
    ok(!@bad_ids, 'access log: every record has a request id of 32 '
                  . 'lower-case hex digits')
        or diag(join ' ', map { $_->{request_id} // 'absent' } @bad_ids);
}

# error.log: the module's own lines never carry a secret; NGINX core's
# debug lines print request lines and headers, which are not ours.  The
# temp dir's name contains "azoai", so paths are taken out first.
{
    my $dir = $t->dir;
    my $elog = $t->error_log;
    my @ours = grep { /azoai/ } map { s/\Q$dir\E//gr } split /\n/, $elog;
    ok(@ours >= 6, 'error.log: the module logged its decisions ('
                   . scalar(@ours) . ' lines)');
    my @bad;
    for my $l (@ours) {
        push @bad, map { "$_: $l" } leaks($l);
    }
    ok(!@bad, 'error.log: no secret in the module\'s lines')
        or diag(join "\n", @bad[0 .. ($#bad > 9 ? 9 : $#bad)]);

    # NGINX core does not log bodies: the PII values are nowhere
    @bad = pii_leaks($elog);
    ok(!@bad, 'error.log: no PII value anywhere') or diag(join ', ', @bad);

    my @ids = map { $_->{request_id} }
              grep { ($_->{decision} // '') ne 'allow' } values %logged;
    my @missing = grep { index($elog, $_) < 0 } @ids;
    ok(!@missing, 'error.log: each denial and report-deny is logged with '
                  . 'its request id') or diag("@missing");
}

$t->error_log_clean;

done_testing;
