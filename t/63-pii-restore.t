#!/usr/bin/perl

# azoai_pii_action pseudonym and azoai_pii_restore on: the upstream sees
# "[TYPE_n]", the client gets the original values back, from a JSON
# response and from event streams cut into pieces of 1, 2 and 3 bytes (so
# every token is split at every offset, and every event in two writes),
# as text and as tool call arguments, with buffering on and off, over
# HTTP/1.1 and HTTP/2.  Tokens not minted for the request stay as they
# are; the first event reaches the client before the upstream sends the
# rest.

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
    azoai_deployment unbuffered gpt-4o 2024-11-20;
    azoai_deployment norestore gpt-4o 2024-11-20;
    log_format restore '$http_x_test_id $azoai_pii_count '
                       '$azoai_pii_restored $azoai_total_tokens';

EOF
    . server_block(h2 => 1, directives => [
        'azoai on;', 'azoai_pii on;', 'azoai_pii_action pseudonym;',
        'azoai_pii_restore on;', 'access_log %%DIR%%/restore.log restore;'],
        locations => <<'EOF'));
        location /openai/deployments/unbuffered/ {
            proxy_buffering off;
            proxy_pass http://%%UPSTREAM%%;
        }
        location /openai/deployments/norestore/ {
            azoai_pii_restore off;
            proxy_pass http://%%UPSTREAM%%;
        }
EOF
$t->start_upstream;
$t->start;

my $API = '/chat/completions?api-version=2024-10-21';
my %PATH = (buffered => "/openai/deployments/chat-mini$API",
            unbuffered => "/openai/deployments/unbuffered$API",
            norestore => "/openai/deployments/norestore$API");

# the prompt as JSON string content, and the text it stands for
my $RAW = 'Mail Ann@Example.com (ann@example.com) or bob@example.org, '
    . 'call +1 415 555 0199; \"quoted\" [EMAIL_7] [PHONE_2] caf\u00e9 '
    . "\xc3\xa9t\xc3\xa9 done";
(my $RESTORED = $RAW) =~ s/\(ann\@example\.com\)/(Ann\@Example.com)/;
my $TEXT = json_decode(qq("$RESTORED"));
my $MASKED = 'Mail [EMAIL_1] ([EMAIL_1]) or [EMAIL_2], call [PHONE_1]; '
    . '\"quoted\" [EMAIL_7] [PHONE_2] caf\u00e9 ' . "\xc3\xa9t\xc3\xa9 done";

sub body {
    return '{"messages":[{"role":"user","content":"' . $RAW . '"}]}';
}

sub ask {
    my ($kind, %o) = @_;
    return $t->ask_response($kind, path => $PATH{$o{at} || 'buffered'},
                            body => body(), id => $o{id}, h2 => $o{h2});
}

# the upstream sees the pseudonyms, numbered per type, same value same n

my $r = ask('echo-json');
is($r->{status}, 200, 'JSON: 200');
my ($seen) = $t->upstream_requests;
like($seen->{raw}, qr/\Q"content":"$MASKED"\E/,
     'upstream got [EMAIL_1] twice, [EMAIL_2], [PHONE_1], others as sent');

# a JSON response: restored, escaped, Content-Length gone or right

my $j = json_decode($r->{body});
is($j->{choices}[0]{message}{content}, $TEXT,
   'JSON: values restored (not-minted tokens left), escapes kept');
ok(!defined $r->{headers}{'content-length'}
   || $r->{headers}{'content-length'} == length $r->{body},
   'JSON: no stale Content-Length');

$r = ask('echo-json', at => 'norestore');
like($r->{body}, qr/\Q[EMAIL_1] ([EMAIL_1]) or [EMAIL_2]\E/,
     'azoai_pii_restore off: the pseudonyms reach the client');

# streams cut at every offset, buffered and not, HTTP/1.1 and HTTP/2

for my $n (1, 2, 3) {
    for my $at ('buffered', 'unbuffered') {
        my $name = "SSE $n-byte pieces, $at";
        $r = ask("echo-sse-$n", at => $at, id => "sse$n");
        is($r->{status}, 200, "$name: 200");
        is($r->{headers}{'transfer-encoding'}, 'chunked',
           "$name: chunked to HTTP/1.1");
        is(sse_delta_text($r->{body}), $TEXT, "$name: text restored");
        like($r->{body}, qr/data: \[DONE\]\n\n\z/, "$name: [DONE] last");

        $r = ask("echo-args-$n", at => $at);
        my $args = sse_delta_text($r->{body}, 1);
        utf8::encode($args);
        my $a = eval { json_decode($args) } || {};
        is($a->{to}, $TEXT, "$name: tool arguments restored, JSON inside");
    }
}

SKIP: {
    skip 'curl without HTTP/2', 3 unless curl_h2_available();
    $r = ask('echo-sse-2', h2 => 1);
    is($r->{status}, 200, 'HTTP/2 SSE: 200');
    is(sse_delta_text($r->{body}), $TEXT, 'HTTP/2 SSE: text restored');
    $r = ask('echo-json', h2 => 1);
    is(json_decode($r->{body})->{choices}[0]{message}{content}, $TEXT,
       'HTTP/2 JSON: restored');
}

# the log variables: values minted, tokens restored, usage still read

$r = ask('echo-json', id => 'logged');
my $line = $t->access_log_wait(qr/^logged /, 'restore.log');
is($line, 'logged 4 4 11',
   '$azoai_pii_count 4, $azoai_pii_restored 4, usage read after restore');

# time to first byte: the first event reaches the client while the
# upstream waits before sending the rest

{
    my ($first, $waiting, $all) = $t->first_event_then_rest(
        path => $PATH{unbuffered}, kind => 'echo-pause', body => body());
    ok($waiting && $first =~ /"content":"Mail"/,
       'first event at the client before the upstream sent the second');
    like($all, qr/data: \[DONE\]/, 'then the rest of the stream');
}

$t->error_log_clean;
unlike($t->error_log, qr/Example\.com|example\.org|555 0199/i,
       'no value in the error log');

done_testing();
