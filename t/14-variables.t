#!/usr/bin/perl

# The $azoai_* variables in an access log: decision, reason, what the
# request named, the body digest, PII counts and token usage from JSON and
# SSE responses.

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
              prompt_tokens completion_tokens total_tokens);

my $format = join ',', '"id":"$http_x_test_id"',
                       map { qq("$_":"\$azoai_$_") } @VARS;

$t->write_conf(<<"EOF");
    log_format azoai escape=json '{$format}';
    azoai_catalog %%CATALOG%%;

    server {
        listen 127.0.0.1:%%PORT%%;
        azoai on;
        access_log %%DIR%%/vars.log azoai;

        location / {
            proxy_http_version 1.1;
            proxy_buffering off;
            proxy_pass http://%%UPSTREAM%%;
        }
        location /openai/deployments/pii-prod/ {
            azoai_pii on;
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF
my $pii_dep = '"pii-prod": { "model": "gpt-4o", "version": "2024-11-20" },';
$t->write_catalog(AzoaiTest::standard_catalog()
    =~ s/("deployments": \{)/$1\n    $pii_dep/r);
$t->start_upstream->start;

my $n = 0;

# sends the request with a test id, returns (response, log record)
sub logged {
    my ($req) = @_;
    my $id = 'v' . ++$n;

    push @{$req->{headers}}, ['X-Test-Id', $id];
    my $r = $t->request($req);
    my $line = $t->access_log_wait(qr/^\{"id":"$id"/, 'vars.log');
    my $rec = $line ? json_decode($line) : undef;
    ok($rec, "$id: logged") or diag($line // 'no line');
    return ($r, $rec || {});
}

sub chat {
    my ($dep, $query, $body, @h) = @_;
    return { method => 'POST',
             path => "/openai/deployments/$dep/chat/completions?$query",
             headers => [['Content-Type', 'application/json'], @h],
             body => $body };
}

my $body = '{"messages":[{"role":"user","content":"hi"}]}';

# allowed, JSON response
my ($r, $v) = logged(chat('chat-prod', 'api-version=2024-10-21', $body));
is($r->{status}, 200, 'allowed');
is($r->{body}, AzoaiTest::default_json(), 'JSON response unchanged');
is($v->{decision}, 'allow', 'decision');
is($v->{reason}, '', 'no reason');
like($v->{request_id}, qr/^[0-9a-f]{32}$/,
     'request_id is 32 lower-case hex digits');
is($v->{request_id}, $r->{headers}{'x-azoai-request-id'},
   'request_id matches the header');
is($v->{operation}, 'chat.completions', 'operation');
is($v->{deployment}, 'chat-prod', 'deployment');
is($v->{model}, 'gpt-4o', 'model');
is($v->{model_version}, '2024-11-20', 'model_version');
is($v->{api_version}, '2024-10-21', 'api_version');
is($v->{body_sha256}, sha256_hex($body), 'body_sha256 of the body');
is($v->{prompt_tokens}, '11', 'prompt_tokens (JSON)');
is($v->{completion_tokens}, '7', 'completion_tokens (JSON)');
is($v->{total_tokens}, '18', 'total_tokens (JSON)');

# chat SSE stream (usage in the last chunk, split across writes)
($r, $v) = logged({ method => 'POST', path => '/openai/v1/chat/completions',
    headers => [['Content-Type', 'application/json'],
                ['X-Test-Response', 'sse']],
    body => '{"model":"chat-mini","stream":true,'
            . '"stream_options":{"include_usage":true},'
            . '"messages":[{"role":"user","content":"hi"}]}' });
is($r->{body}, AzoaiTest::sse_chat_stream(), 'SSE stream passed through');
is($v->{deployment}, 'chat-mini', 'v1: deployment from the body');
is($v->{model}, 'gpt-4o-mini', 'v1: model');
is($v->{prompt_tokens}, '11', 'prompt_tokens (SSE)');
is($v->{completion_tokens}, '7', 'completion_tokens (SSE)');
is($v->{total_tokens}, '18', 'total_tokens (SSE)');

# Responses API stream
($r, $v) = logged({ method => 'POST', path => '/openai/v1/responses',
    headers => [['Content-Type', 'application/json'],
                ['X-Test-Response', 'sse-responses']],
    body => '{"model":"chat-prod","stream":true,"input":"hi"}' });
is($r->{body}, AzoaiTest::sse_responses_stream(), 'Responses stream');
is($v->{prompt_tokens}, '11', 'input_tokens as prompt_tokens');
is($v->{completion_tokens}, '7', 'output_tokens as completion_tokens');
is($v->{total_tokens}, '18', 'total_tokens (Responses)');

# compressed and error answers pass through untouched
{
    require IO::Uncompress::Gunzip;
    ($r, $v) = logged(chat('chat-prod', 'api-version=2024-10-21', $body,
                           ['X-Test-Response', 'gzip']));
    is($r->{headers}{'content-encoding'}, 'gzip', 'gzip answer kept');
    my $plain;
    IO::Uncompress::Gunzip::gunzip(\$r->{body} => \$plain);
    is($plain, AzoaiTest::default_json(), 'gzip body intact');

    ($r, $v) = logged(chat('chat-prod', 'api-version=2024-10-21', $body,
                           ['X-Test-Response', 'error']));
    is($r->{status}, 404, 'upstream 404 passed through');
    like($r->{body}, qr/"DeploymentNotFound"/, 'upstream error body kept');
    is($v->{decision}, 'allow', 'an upstream error is still "allow"');
}

# denied
($r, $v) = logged(chat('chat-prod', 'api-version=2025-04-01-preview',
                       $body));
is($r->{status}, 403, 'denied');
is($v->{decision}, 'deny', 'decision deny');
is($v->{reason}, 'PreviewApiVersionBlocked', 'reason');
is($v->{api_version}, '2025-04-01-preview', 'api_version of the denial');
is($v->{total_tokens}, '', 'no tokens for a denial');

($r, $v) = logged(chat('chat-preview', 'api-version=2024-10-21', $body));
is($v->{reason}, 'PreviewModelBlocked', 'reason preview model');
is($v->{model}, 'gpt-5-chat', 'model of the denied deployment');

# PII counts (masking itself is another test's job)
my $pii = '{"messages":[{"role":"user","content":"write to '
    . 'jane.doe@example.com or john@example.org"}]}';
($r, $v) = logged(chat('pii-prod', 'api-version=2024-10-21', $pii));
is($r->{status}, 200, 'PII request allowed');
is($v->{pii_count}, '2', 'pii_count');
is($v->{pii_types}, 'email:2', 'pii_types');
is($v->{body_sha256}, sha256_hex($pii), 'body_sha256 of the body received');
is($r->{headers}{'x-azoai-pii-masked'}, '2', 'X-AzOAI-PII-Masked');
my ($up) = $t->upstream_requests($t->upstream_count - 1);
is($up->{headers}{'x-azoai-pii-masked'}, '2', 'upstream X-AzOAI-PII-Masked');
unlike($up->{body}, qr/jane\.doe|john\@/, 'upstream body masked');

# bodies NGINX keeps in two buffers (part with the headers) or spools to a
# temp file are masked in a copy; the digest is still of what was received
for my $size (3000, 40000) {
    my $text = '';
    my $k = 0;
    $text .= sprintf('lorem ipsum dolor sit amet user%d@example.com ', $k++)
        while length $text < $size;
    my $big = qq({"messages":[{"role":"user","content":"$text"}]});
    ($r, $v) = logged(chat('pii-prod', 'api-version=2024-10-21', $big));
    is($r->{status}, 200, "$size bytes: allowed");
    is($v->{pii_count}, $k, "$size bytes: pii_count");
    is($v->{body_sha256}, sha256_hex($big),
       "$size bytes: body_sha256 of the body received");
    my ($up) = $t->upstream_requests($t->upstream_count - 1);
    (my $want = $big) =~ s/user\d+\@example\.com/[EMAIL]/g;
    is($up->{body}, $want, "$size bytes: upstream body masked exactly");
    is($up->{headers}{'content-length'}, length $want,
       "$size bytes: upstream Content-Length");
}

unlike($t->read_file('vars.log'), qr/jane\.doe|john\@example|user\d+\@/,
       'no PII in the log');

$t->error_log_clean;

done_testing;
