#!/usr/bin/perl

# azoai_pii_response on: PII that the model writes in a JSON completion
# or an event stream (its text and its tool call arguments) is masked with
# the location's detectors and actions, pseudonym as "[TYPE]"; a value put
# back by azoai_pii_restore is not masked again; members that are not
# text pass as sent; streams cut in pieces of 1, 2 and 3 bytes, buffering
# on and off, over HTTP/1.1 and HTTP/2.  Azure is asked for an identity
# encoding, and a response compressed anyway is not sent.  Report mode
# and "off" change nothing.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use AzoaiTest;

AzoaiTest::require_module();

my $t = AzoaiTest->new(workers => 1);

$t->write_catalog;
$t->write_conf(<<'EOF'
    azoai_catalog %%CATALOG%%;
    azoai_metrics_zone azoai 1m;
    azoai_deployment off gpt-4o 2024-11-20;
    azoai_deployment unbuffered gpt-4o 2024-11-20;
    azoai_deployment report gpt-4o 2024-11-20;
    log_format resp '$http_x_test_id $azoai_pii_count $azoai_pii_restored '
                    '$azoai_pii_response_count $azoai_total_tokens';

EOF
    . server_block(h2 => 1, directives => [
        'azoai on;', 'azoai_pii on;', 'azoai_pii_types email phone;',
        'azoai_pii_action pseudonym;', 'azoai_pii_action phone partial;',
        'azoai_pii_restore on;', 'azoai_pii_response on;',
        'access_log %%DIR%%/resp.log resp;'],
        locations => <<'EOF'));
        location = /metrics {
            azoai_metrics;
        }
        location /openai/deployments/unbuffered/ {
            proxy_buffering off;
            proxy_pass http://%%UPSTREAM%%;
        }
        location /openai/deployments/off/ {
            azoai_pii_response off;
            proxy_pass http://%%UPSTREAM%%;
        }
        location /openai/deployments/report/ {
            azoai_mode report;
            proxy_pass http://%%UPSTREAM%%;
        }
EOF
$t->start_upstream;
$t->start;

my $API = '/chat/completions?api-version=2024-10-21';
my $BODY = '{"messages":[{"role":"user","content":"Mail ann@example.com"}]}';
my $PII_JSON = $AzoaiTest::PII_JSON;

sub ask {
    my ($kind, %o) = @_;
    return $t->ask_response($kind, %o, body => $BODY,
        path => '/openai/deployments/' . ($o{at} || 'chat-mini') . $API);
}

my $CONTENT = 'Write to [EMAIL] or ann@example.com, call [PHONE:...0123].';

sub check_masked {
    my ($r, $name) = @_;
    is($r->{status}, 200, "$name: 200");
    my $j = eval { json_decode($r->{body}) } || {};
    my $m = $j->{choices}[0]{message} || {};
    is($m->{content}, $CONTENT,
       "$name: PII masked, pseudonym as [EMAIL], phone partial, the "
       . 'restored value not masked again');
    is($m->{tool_calls}[0]{function}{arguments}, '{"to":"[EMAIL]"}',
       "$name: masked inside tool call arguments, still JSON");
    is($j->{id}, 'carol@example.net', "$name: a member not text as sent");
    ok(!defined $r->{headers}{'content-length'}
       || $r->{headers}{'content-length'} == length $r->{body},
       "$name: no stale Content-Length");
}

# HTTP/1.1, with the exact variables

my $r = ask('pii-json', id => 'h1');
check_masked($r, 'JSON');
my ($seen) = $t->upstream_requests;
like($seen->{raw}, qr/\Q"content":"Mail [EMAIL_1]"\E/,
     'the upstream got the pseudonym');
is($t->access_log_wait(qr/^h1 /, 'resp.log'), 'h1 1 1 3 11',
   '$azoai_pii_response_count 3 (two e-mails, a phone), 1 restored, '
   . 'usage read from the masked response');

# HTTP/2

SKIP: {
    skip 'curl without HTTP/2', 5 unless curl_h2_available();
    check_masked(ask('pii-json', h2 => 1), 'HTTP/2 JSON');
}

# off and report: the response as the upstream sent it (restored only)

(my $restored_json = $PII_JSON) =~ s/\[EMAIL_1\]/ann\@example.com/;
$r = ask('pii-json', at => 'off', id => 'off');
is($r->{body}, $restored_json, 'azoai_pii_response off: only restored');
is($t->access_log_wait(qr/^off /, 'resp.log'), 'off 1 1 0 11',
   'off: $azoai_pii_response_count 0');
$r = ask('pii-json', at => 'report', id => 'report');
ok(index($r->{body}, 'carol@example.net or') >= 0,
   'report mode: the response is not masked');

# a response without text fields to mask passes byte for byte

$r = ask('json', id => 'plain');
is($r->{body}, AzoaiTest::default_json(), 'a completion without PII as sent');

# identity encoding asked of Azure; a compressed JSON response anyway is
# not sent (it cannot be scanned)

$r = ask('pii-gzip', headers => [['Accept-Encoding', 'gzip']]);
my @reqs = $t->upstream_requests;
like($reqs[-1]{raw}, qr/\r\nAccept-Encoding: identity\r\n/i,
     'the upstream was asked for an identity encoding');
unlike($reqs[-1]{raw}, qr/Accept-Encoding: gzip/i, 'not for gzip');
ok(!$r->{status} && index($r->{body} // '', "\x1f\x8b") < 0,
   'a compressed response is not passed on: the connection is closed');
like($t->error_log, qr/compressed response cannot be scanned/,
     'and that is logged');

# event streams: the same text in pieces of 1, 2 and 3 bytes (every value
# and the token split at every offset), each event in two writes, with
# buffering on and off, as text and as tool call arguments

for my $n (1, 2, 3) {
    for my $at ('chat-mini', 'unbuffered') {
        my $name = "SSE $n-byte pieces, $at";
        $r = ask("pii-sse-$n", at => $at, id => "sse$n$at");
        is($r->{status}, 200, "$name: 200");
        is($r->{headers}{'transfer-encoding'}, 'chunked',
           "$name: chunked to HTTP/1.1");
        is(sse_delta_text($r->{body}), $CONTENT, "$name: masked, restored");
        like($r->{body}, qr/data: \[DONE\]\n\n\z/, "$name: [DONE] last");
        is($t->access_log_wait(qr/^sse$n$at /, 'resp.log'),
           "sse$n$at 1 1 2 ", "$name: \$azoai_pii_response_count 2");

        $r = ask("pii-args-$n", at => $at);
        my $a = eval { json_decode(sse_delta_text($r->{body}, 1)) } || {};
        is($a->{to}, $CONTENT =~ s/\.$//r . '.',
           "$name: tool arguments masked, still JSON");
    }
}

SKIP: {
    skip 'curl without HTTP/2', 2 unless curl_h2_available();
    $r = ask('pii-sse-2', h2 => 1);
    is($r->{status}, 200, 'HTTP/2 SSE: 200');
    is(sse_delta_text($r->{body}), $CONTENT, 'HTTP/2 SSE: masked, restored');
}

# time to first byte: the first event reaches the client while the
# upstream waits before sending the rest

{
    my ($first, $waiting, $all) = $t->first_event_then_rest(
        path => "/openai/deployments/unbuffered$API", kind => 'pii-pause',
        id => 'pause', body => $BODY);
    ok($waiting && $first =~ /data: \{[^\n]*"content"/,
       'masking: first event at the client before the upstream sent more');
    like($all, qr/data: \[DONE\]/, 'then the rest of the stream');
}

# the metrics: the sums of the variables over the requests above

$t->access_log_wait(qr/^pause /, 'resp.log');
my ($restored, $masked) = (0, 0);
for my $line (split /\n/, $t->read_file('resp.log')) {
    my @f = split / /, $line;
    $restored += $f[2] if $f[2] =~ /^\d+$/;
    $masked += $f[3] if $f[3] =~ /^\d+$/;
}
$r = http_request($t->port, method => 'GET', path => '/metrics');
like($r->{body}, qr/^azoai_pii_restored_total $restored\n/m,
     "azoai_pii_restored_total $restored");
like($r->{body}, qr/^azoai_pii_response_total $masked\n/m,
     "azoai_pii_response_total $masked");
ok($masked >= 29, 'values were masked') or diag($r->{body});

$t->error_log_clean;
unlike($t->error_log . $t->read_file('resp.log'),
       qr/example\.(?:com|net)|555 0123/i,
       'no value in the logs');

done_testing();
