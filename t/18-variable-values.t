#!/usr/bin/perl

# Every $azoai_* variable's exact value on a denied request (denied from
# the request line, and denied from the body), an allowed request with PII
# and token usage, and requests the module does not judge (a location with
# "azoai off", and a path that is not Azure OpenAI under "azoai on").
#
# The log format is NGINX's default (no escape=json), so that a variable
# that is not found logs as "-" and an empty value as nothing: the two
# cases are told apart.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Digest::SHA qw(sha256_hex);
use AzoaiTest;

AzoaiTest::require_module();

my $t = AzoaiTest->new;

my @VARS = qw(request_id decision reason operation deployment model
              model_version api_version pii_count pii_types body_sha256
              prompt_tokens completion_tokens total_tokens pii_restored
              pii_response_count pii_opaque pii_unscanned
              tokens_remaining model_retires);

# every variable the module registers (the string literals of its
# variables file) is in the list above
my @src = glob "$FindBin::Bin/../ngx_http_azoai_module/*variables*.c";
my %registered;
for my $f (@src) {
    open my $fh, '<', $f or die "$f: $!";
    local $/;
    my $c = <$fh>;
    $registered{$1} = 1 while $c =~ /"azoai_(\w+)"/g;
}
SKIP: {
    skip 'no ngx_http_azoai_module/*variables*.c to read', 1 unless @src;
    is_deeply([sort keys %registered], [sort @VARS],
              'the test covers every registered $azoai_* variable');
}

my $format = join '|', '$http_x_test_id', map { "\$azoai_$_" } @VARS;

$t->write_catalog;
$t->write_conf(<<"EOF");
    log_format vals '$format';

    server {
        listen 127.0.0.1:%%PORT%%;
        azoai_catalog %%CATALOG%%;
        access_log %%DIR%%/vals.log vals;

        location / {
            azoai on;
            azoai_pii on;
            proxy_pass http://%%UPSTREAM%%;
        }
        location /off/ {
            azoai off;
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF
$t->start_upstream->start;

my $n = 0;

# sends the request; returns (response, { var => logged value })
sub logged {
    my ($req) = @_;
    my $id = 'q' . ++$n;

    push @{$req->{headers}}, ['X-Test-Id', $id];
    my $r = $t->request($req);
    my $line = $t->access_log_wait(qr/^\Q$id\E\|/, 'vals.log') // '';
    my (undef, @v) = split /\|/, $line, -1;
    is(scalar @v, scalar @VARS, "$id: one field per variable")
        or diag("line: '$line'");
    my %v;
    @v{@VARS} = @v;
    return ($r, \%v);
}

# checks every variable against %want (a string or a qr//)
sub values_are {
    my ($what, $got, %want) = @_;

    for my $var (@VARS) {
        my $w = $want{$var};
        if (ref $w eq 'Regexp') {
            like($got->{$var}, $w, "$what: \$azoai_$var");
        } else {
            is($got->{$var}, $w, "$what: \$azoai_$var is '$w'");
        }
    }
}

my $json = ['Content-Type', 'application/json'];
my $ID = qr/^[0-9a-f]{32}$/;

# --- allowed, with two PII values and a JSON answer with usage -----------

my $pii_body = '{"messages":[{"role":"user","content":"mail '
    . 'jane.doe@example.com or call +1 415-555-2671"}]}';
my ($r, $v) = logged({ method => 'POST',
    path => '/openai/deployments/chat-prod/chat/completions'
            . '?api-version=2024-10-21',
    headers => [$json], body => $pii_body });
is($r->{status}, 200, 'allowed: 200');
my ($up) = $t->upstream_requests($t->upstream_count - 1);
values_are('allowed', $v,
    request_id => $ID,
    decision => 'allow',
    reason => '',
    operation => 'chat.completions',
    deployment => 'chat-prod',
    model => 'gpt-4o',
    model_version => '2024-11-20',
    api_version => '2024-10-21',
    pii_count => '2',
    pii_types => 'email:1,phone:1',
    body_sha256 => sha256_hex($pii_body),
    prompt_tokens => '11',
    completion_tokens => '7',
    total_tokens => '18',
    pii_restored => '0',
    pii_response_count => '0',
    pii_opaque => '0',
    pii_unscanned => '0',
    # no azoai_token_limit here (t/44-token-limit.t sets one)
    tokens_remaining => '',
    # no retirement dates here (t/48-retirement.t sets them)
    model_retires => '');
is($v->{request_id}, $r->{headers}{'x-azoai-request-id'},
   'allowed: $azoai_request_id is the response X-AzOAI-Request-Id');
is($v->{request_id}, $up && $up->{headers}{'x-azoai-request-id'},
   'allowed: $azoai_request_id is the upstream X-AzOAI-Request-Id');

# --- denied from the request line: the body is never read ---------------

my $body = '{"messages":[{"role":"user","content":"hi"}]}';
($r, $v) = logged({ method => 'POST',
    path => '/openai/deployments/chat-prod/chat/completions'
            . '?api-version=2025-04-01-preview',
    headers => [$json], body => $body });
is_denial($r, 403, 'PreviewApiVersionBlocked', 'route denial: 403');
values_are('route denial', $v,
    request_id => $ID,
    decision => 'deny',
    reason => 'PreviewApiVersionBlocked',
    operation => 'chat.completions',
    deployment => 'chat-prod',
    # the api-version is judged first: the deployment is not looked up
    model => '',
    model_version => '',
    api_version => '2025-04-01-preview',
    pii_count => '0',
    pii_types => '',
    body_sha256 => '',
    prompt_tokens => '',
    completion_tokens => '',
    total_tokens => '',
    pii_restored => '0',
    pii_response_count => '0',
    pii_opaque => '0',
    pii_unscanned => '0',
    # no azoai_token_limit here (t/44-token-limit.t sets one)
    tokens_remaining => '',
    # no retirement dates here (t/48-retirement.t sets them)
    model_retires => '');
is($v->{request_id}, $r->{headers}{'x-azoai-request-id'},
   'route denial: $azoai_request_id is X-AzOAI-Request-Id');

# --- denied from the body: v1 route, preview model in "model" ------------

my $v1_body = '{"model":"chat-preview","messages":[{"role":"user",'
    . '"content":"mail jane.doe@example.com"}]}';
($r, $v) = logged({ method => 'POST', path => '/openai/v1/chat/completions',
    headers => [$json], body => $v1_body });
is_denial($r, 403, 'PreviewModelBlocked', 'body denial: 403');
values_are('body denial', $v,
    request_id => $ID,
    decision => 'deny',
    reason => 'PreviewModelBlocked',
    operation => 'chat.completions',
    deployment => 'chat-preview',
    model => 'gpt-5-chat',
    model_version => '2025-08-07',
    api_version => '',
    # a denied body is not scanned for PII
    pii_count => '0',
    pii_types => '',
    body_sha256 => sha256_hex($v1_body),
    prompt_tokens => '',
    completion_tokens => '',
    total_tokens => '',
    pii_restored => '0',
    pii_response_count => '0',
    pii_opaque => '0',
    pii_unscanned => '0',
    # no azoai_token_limit here (t/44-token-limit.t sets one)
    tokens_remaining => '',
    # no retirement dates here (t/48-retirement.t sets them)
    model_retires => '');

# --- not judged: azoai off, and a path that is not Azure OpenAI ----------

my %none = map { $_ => '-' } @VARS;

($r, $v) = logged({ method => 'POST',
    path => '/off/openai/deployments/chat-preview/chat/completions'
            . '?api-version=2025-04-01-preview',
    headers => [$json], body => $pii_body });
is($r->{status}, 200, 'azoai off: proxied');
ok(!exists $r->{headers}{'x-azoai-request-id'},
   'azoai off: no X-AzOAI-Request-Id');
values_are('azoai off', $v, %none);

($r, $v) = logged({ method => 'POST', path => '/healthz?api-version=x',
    headers => [$json], body => $pii_body });
is($r->{status}, 200, 'not Azure OpenAI: proxied');
ok(!exists $r->{headers}{'x-azoai-decision'},
   'not Azure OpenAI: no X-AzOAI-Decision');
values_are('not Azure OpenAI', $v, %none);
($up) = $t->upstream_requests($t->upstream_count - 1);
is($up && $up->{body}, $pii_body, 'not Azure OpenAI: body not masked');

unlike($t->read_file('vals.log'), qr/jane\.doe|555-2671/,
       'no PII value in the log');

$t->error_log_clean;

done_testing;
