#!/usr/bin/perl

# Hostile responses through azoai_pii_restore and azoai_pii_response: an
# event of 10 MB, a "data:" line that the stream never ends, a token
# repeated 100,000 times (minted, not minted, never closed), invalid
# UTF-8, a token and a value split at every byte between two upstream
# writes, n > 1 choices interleaved, and the Responses API (JSON and
# events, text and function call arguments).  The answer is right (or
# passes as it came, or is refused with masking, as the README says),
# what is held back is never lost, NGINX keeps serving, and no value
# reaches a log (at debug level) or a header.  A compressed response is
# passed and counted without masking, refused with it.
#
# The upstream is a scripted stand-in (AzoaiUpstream): X-Hostile names
# the response.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use IO::Socket::INET;
use IO::Compress::Gzip qw(gzip $GzipError);
use AzoaiTest;
use AzoaiUpstream qw(sse_head json_response);

AzoaiTest::require_module();

my $t = AzoaiTest->new(workers => 1, error_log_level => 'debug');

my $up = AzoaiUpstream->new(header => 'X-Hostile');
my $UP = $up->addr;

$t->write_catalog;
$t->write_conf(<<"EOF");
    azoai_catalog %%CATALOG%%;
    azoai_metrics_zone azoai 1m;
    azoai_deployment restore gpt-4o 2024-11-20;
    azoai_deployment mask gpt-4o 2024-11-20;
    azoai_deployment buffered gpt-4o 2024-11-20;
    log_format hostile '\$http_x_id \$azoai_pii_count \$azoai_pii_restored '
                       '\$azoai_pii_response_count \$azoai_pii_unscanned';

    server {
        listen 127.0.0.1:%%PORT%%;
        azoai on;
        azoai_pii on;
        azoai_pii_types email phone;
        azoai_pii_action pseudonym;
        azoai_pii_restore on;
        access_log %%DIR%%/hostile.log hostile;
        proxy_buffering off;
        proxy_read_timeout 10s;

        location / {
            proxy_pass http://$UP;
        }
        location /openai/deployments/mask/ {
            azoai_pii_response on;
            proxy_pass http://$UP;
        }
        location /openai/deployments/buffered/ {
            proxy_buffering on;
            proxy_pass http://$UP;
        }
        location = /metrics {
            azoai_metrics;
        }
    }
EOF

# --- the stand-in upstream ------------------------------------------------

my $EMAIL = 'ann@example.com';
my $PHONE = '+1 415 555 0123';
my $PROMPT = '{"messages":[{"role":"user","content":"Mail ann@example.com '
    . 'or call +1 415 555 0123"}]}';
my $MB10 = 10 * 1024 * 1024;

# responses: a list of writes, [pause] before each write after the first
my %RESPONSE;

sub chunk {
    my ($text, $idx) = @_;
    $text =~ s/(["\\])/\\$1/g;
    return 'data: {"object":"chat.completion.chunk","choices":[{"index":'
        . ($idx // 0) . ',"delta":{"content":"' . $text . '"}}]}' . "\n\n";
}

# --- the client side ------------------------------------------------------

my %PATH = map { $_ => "/openai/deployments/$_/chat/completions"
                       . '?api-version=2024-10-21' } qw(restore mask buffered);

# the request, then everything until NGINX closes the connection, then
# the chunks decoded once (the harness re-parses as it reads: slow on
# 10 MB); error "truncated chunked body" when the stream was cut
sub ask {
    my ($name, $at, $id) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1:' . $t->port,
                                  Timeout => 10) or die "connect: $!";
    binmode $s;
    print $s build_request(method => 'POST', path => $PATH{$at || 'restore'},
        headers => [['Content-Type', 'application/json'],
                    ['X-Hostile', $name], ['X-Id', $id || $name],
                    ['Connection', 'close']],
        body => $PROMPT);
    my $raw = '';
    1 while sysread($s, $raw, 1 << 20, length $raw);
    close $s;

    my %r = (raw => $raw);
    my $hend = index($raw, "\r\n\r\n");
    return \%r if $hend < 0;
    $r{raw_head} = substr($raw, 0, $hend + 4);
    ($r{status}) = $r{raw_head} =~ m{^HTTP/\S+ (\d+)};
    for (split /\r\n/, $r{raw_head}) {
        $r{headers}{lc $1} = $2 if /^([^:]+):\s*(.*)$/;
    }
    my $pos = $hend + 4;
    $r{raw_body} = substr($raw, $pos);
    if (($r{headers}{'transfer-encoding'} // '') !~ /chunked/) {
        $r{body} = $r{raw_body};
        return \%r;
    }
    my @parts;
    while (1) {
        my $eol = index($raw, "\r\n", $pos);
        my $size = $eol < 0 ? undef : substr($raw, $pos, $eol - $pos);
        if (!defined $size || $size !~ /^[0-9a-f]+$/i
            || length($raw) < $eol + 2 + hex($size) + 2)
        {
            push @parts, substr($raw, $eol + 2) if defined $size;
            $r{error} = 'truncated chunked body';
            last;
        }
        last if hex($size) == 0;
        push @parts, substr($raw, $eol + 2, hex $size);
        $pos = $eol + 2 + hex($size) + 2;
    }
    $r{body} = join '', @parts;
    return \%r;
}

# the logged variables: pii_count restored response_count unscanned
sub logged {
    my ($id) = @_;
    my $l = $t->access_log_wait(qr/^\Q$id\E /, 'hostile.log') // '';
    $l =~ s/^\S+ //;
    return $l;
}

# the text of each choice (or Responses API output), from the events
sub texts {
    my ($body) = @_;
    my %text;
    for my $data ($body =~ /^data: ?(.*?)\r?$/mg) {
        next if $data eq '[DONE]';
        my $j = eval { json_decode($data) } or next;
        for my $c (@{$j->{choices} || []}) {
            $text{$c->{index}} .= $c->{delta}{content} // '';
        }
        $text{"out$j->{output_index}"} .= $j->{delta}
            if defined $j->{delta} && !ref $j->{delta};
    }
    return \%text;
}

my @HEADERS;

sub no_value_in_headers {
    my ($r) = @_;
    push @HEADERS, $r->{raw_head} // '';
}

# --- a 10 MB event ----------------------------------------------------------

{
    my $big = 'data: {"choices":[{"index":0,"delta":{"content":"'
        . ('x' x 1000) . ' [EMAIL_1] zed@example.org ';
    $big .= 'y' x ($MB10 - length $big) . '"}}]}' . "\n\n";
    my @w = (sse_head() . chunk('Hi [EMAIL_1]'));
    push @w, \0.02;
    push @w, substr($big, $_ * 65536, 65536)
        for 0 .. int((length($big) - 1) / 65536);
    push @w, chunk(' bye [EMAIL_1]'), "data: [DONE]\n\n";
    $RESPONSE{big} = \@w;
    $RESPONSE{big_expected} = [sse_head() . chunk("Hi $EMAIL") . $big
                               . chunk(" bye $EMAIL") . "data: [DONE]\n\n"];
}

# --- the end of the stream in the middle of an event -------------------

$RESPONSE{unterminated} = [sse_head() . chunk('A [EMAIL_1]'), \0.02,
    'data: {"choices":[{"index":0,"delta":{"content":" end [PHONE_1]"}}]}'];
$RESPONSE{held_tail} = [sse_head() . chunk('A [EMAIL_1]'), \0.02,
    chunk(' tail [EMA')];

# --- 100,000 tokens ---------------------------------------------------------

my $N = 100_000;
for my $tok ('[EMAIL_1]', '[EMAIL_9]', '[EMAIL_1') {
    my $name = { '[EMAIL_1]' => 'minted', '[EMAIL_9]' => 'not_minted',
                 '[EMAIL_1' => 'open' }->{$tok};
    my $text = $tok x $N;
    $RESPONSE{"json_$name"} = [json_response(
        '{"choices":[{"index":0,"message":{"content":"' . $text . '"}}]}')];

    # in pieces of 997 bytes: the token cut at every offset along the way
    my @ev;
    for (my $i = 0; $i < length $text; $i += 997) {
        push @ev, chunk(substr($text, $i, 997));
    }
    $RESPONSE{"sse_$name"} = [sse_head() . join('', @ev)
                              . "data: [DONE]\n\n"];
}

# --- invalid UTF-8 ----------------------------------------------------------

my $BAD_JSON = '{"choices":[{"index":0,"message":{"content":"bad '
    . "\xff\xfe\xc3" . ' [EMAIL_1] zed@example.org"}}]}';
$RESPONSE{utf8_json} = [json_response($BAD_JSON)];
my $BAD_EVENT = 'data: {"choices":[{"index":0,"delta":{"content":"bad '
    . "\xc0\xaf\xed\xa0\x80" . ' [EMAIL_1] zed@example.org"}}]}' . "\n\n";
$RESPONSE{utf8_sse} = [sse_head() . chunk('ok [EMAIL_1]'), \0.02,
    $BAD_EVENT, \0.02, chunk(' still [PHONE_1]') . "data: [DONE]\n\n"];

# --- n > 1 choices interleaved ------------------------------------------------

{
    my @t0 = split //, 'Mail [EMAIL_1] now';
    my @t1 = split //, 'Call [PHONE_1] or dave@example.net soon';
    my @ev;
    while (@t0 || @t1) {
        push @ev, chunk(shift @t0, 0) if @t0;
        push @ev, chunk(shift @t1, 1) if @t1;
        # both choices in one event, now and then
        if (@t0 && @t1 && @ev % 5 == 0) {
            my ($a, $b) = (shift @t0, shift @t1);
            push @ev, 'data: {"choices":[{"index":1,"delta":{"content":"'
                . $b . '"}},{"index":0,"delta":{"content":"' . $a
                . '"}}]}' . "\n\n";
        }
    }
    $RESPONSE{choices} = [sse_head() . join('', @ev) . "data: [DONE]\n\n"];
}

# --- the Responses API ----------------------------------------------------

$RESPONSE{responses_json} = [json_response(
    '{"id":"resp_1","object":"response","output":[{"type":"message",'
    . '"content":[{"type":"output_text","text":"Hi [EMAIL_1], bob@x.org"}]},'
    . '{"type":"function_call","name":"send","arguments":'
    . '"{\"to\":\"[PHONE_1]\"}"}],"output_text":"Hi [EMAIL_1]",'
    . '"usage":{"input_tokens":5,"output_tokens":6,"total_tokens":11}}')];

{
    my @ev;
    my $seq = 0;
    my $text_ev = sub {
        my ($d) = @_;
        return "event: response.output_text.delta\n"
            . '{"type":"response.output_text.delta","sequence_number":'
            . $seq++ . ',"output_index":0,"content_index":0,"delta":"'
            . $d . '"}';
    };
    my $args_ev = sub {
        my ($d) = @_;
        $d =~ s/(["\\])/\\$1/g;
        return "event: response.function_call_arguments.delta\n"
            . '{"type":"response.function_call_arguments.delta",'
            . '"sequence_number":' . $seq++ . ',"output_index":1,"delta":"'
            . $d . '"}';
    };
    my @t = split //, 'Hi [EMAIL_1]!';
    my @a = '{"to":"[PHONE_1]"}' =~ /(..?)/g;
    while (@t || @a) {
        push @ev, $text_ev->(shift @t) if @t;
        push @ev, $args_ev->(shift @a) if @a;
    }
    push @ev, "event: response.output_text.done\n"
        . '{"type":"response.output_text.done","output_index":0,'
        . '"content_index":0,"text":"Hi [EMAIL_1]!"}',
        "event: response.function_call_arguments.done\n"
        . '{"type":"response.function_call_arguments.done",'
        . '"output_index":1,"arguments":"{\"to\":\"[PHONE_1]\"}"}',
        "event: response.completed\n"
        . '{"type":"response.completed","response":{"usage":'
        . '{"input_tokens":5,"output_tokens":6,"total_tokens":11}}}';
    s/\n\{/\ndata: {/ for @ev;
    $RESPONSE{responses_sse} = [sse_head() . join('', map { "$_\n\n" } @ev)];
}

# --- a token and a value split at every byte between two writes -------------

my $SPLIT_JSON = '{"choices":[{"index":0,"message":{"content":'
    . '"To [EMAIL_1], cc carol@example.net."}}]}';
my $SPLIT_SSE = chunk('To [EMA') . chunk('IL_1], cc carol@exa')
    . chunk('mple.net.') . "data: [DONE]\n\n";
my @JSON_CUTS = (index($SPLIT_JSON, '[EMAIL_1]') - 1
                 .. index($SPLIT_JSON, '.net') + 4);
# every byte of the token, of the value and of the event ends around them
my @SSE_CUTS = map { my $i = index($SPLIT_SSE, $_->[0]);
                     ($i + $_->[1] .. $i + $_->[2]) }
    ['[EMA', -1, 6], ["\n\ndata", 0, 6], ['IL_1]', -1, 5],
    ['carol@exa', -1, 9], ["\n\ndata: {\"object\":\"chat.completion.chunk"
                            . '","choices":[{"index":0,"delta":{"content":"m',
                            0, 6], ['mple.net', 0, 9];
for my $k (@JSON_CUTS) {
    my $r = json_response($SPLIT_JSON);
    my $at = index($r, "\r\n\r\n") + 4 + $k;
    $RESPONSE{"split_json_$k"} = [substr($r, 0, $at), \0.01,
                                  substr($r, $at)];
}
for my $k (@SSE_CUTS) {
    $RESPONSE{"split_sse_$k"} = [sse_head() . substr($SPLIT_SSE, 0, $k),
                                 \0.01, substr($SPLIT_SSE, $k)];
}

# --- compressed anyway ------------------------------------------------------

{
    my $z;
    gzip(\'{"choices":[{"index":0,"message":{"content":"[EMAIL_1]"}}]}'
         => \$z) or die "gzip: $GzipError";
    $RESPONSE{gzip} = [json_response($z, 'Content-Encoding: gzip')];
    $RESPONSE{gzip_body} = $z;
}

$up->start(\%RESPONSE);
$t->start;

my @pids = $t->worker_pids;

# --- 10 MB event --------------------------------------------------------------

my $rss0 = $t->worker_rss;
my $r = ask('big');
no_value_in_headers($r);
is($r->{status}, 200, '10 MB event: 200');
ok($r->{body} eq substr($RESPONSE{big_expected}[0],
                        index($RESPONSE{big_expected}[0], "\r\n\r\n") + 4),
   '10 MB event: passed as it came (too long to hold), the events around '
   . 'it restored, [DONE] last');
is(logged('big'), '2 2 0 1', '10 MB event: 2 restored, 1 event unscanned');
SKIP: {
    skip 'RSS under valgrind', 1 if $AzoaiTest::VALGRIND;
    cmp_ok($t->worker_rss - $rss0, '<', 8 * 1024,
           '10 MB event: the worker did not hold it (RSS grew < 8 MB)');
}

$r = ask('big', 'mask', 'bigmask');
no_value_in_headers($r);
is($r->{status}, 200, '10 MB event, masking: headers were sent');
is($r->{error}, 'truncated chunked body',
   '10 MB event, masking: the stream is cut there (fail closed)');
is(texts($r->{body})->{0}, "Hi $EMAIL",
   '10 MB event, masking: the text before it arrived, restored');
unlike($r->{body}, qr/zed\@example|\[DONE\]|yyyy/,
       '10 MB event, masking: nothing of it or after it');

# --- end of stream inside an event ---------------------------------------

$r = ask('unterminated');
is($r->{status}, 200, 'unterminated data: 200');
is($r->{error}, undef, 'unterminated data: the stream ends cleanly');
is(texts($r->{body})->{0}, "A $EMAIL end $PHONE",
   'unterminated data: the last, unended event still restored');
like($r->{body}, qr/\Q end $PHONE"}}]}\E\z/,
     'unterminated data: written as it came, without an end added');
$r = ask('unterminated', 'mask', 'unterminatedmask');
is(texts($r->{body})->{0}, "A $EMAIL end $PHONE",
   'unterminated data, masking: restored, not masked again');

$r = ask('held_tail');
is(texts($r->{body})->{0}, "A $EMAIL tail [EMA",
   'a held "[EMA" at the end of the stream is not lost');
$r = ask('held_tail', 'mask', 'held_tailmask');
is(texts($r->{body})->{0}, "A $EMAIL tail [EMA",
   'masking: a held "[EMA" at the end of the stream is not lost');

# --- 100,000 tokens ---------------------------------------------------------

for my $at ('restore', 'mask', 'buffered') {
    for my $kind ('json', 'sse') {
        my $name = "$kind $at, 100,000";
        $r = ask("${kind}_minted", $at, "${kind}_minted_$at");
        my $text = $kind eq 'json'
            ? eval { json_decode($r->{body})->{choices}[0]{message}{content} }
            : texts($r->{body})->{0};
        ok(defined $text && $text eq $EMAIL x $N,
           "$name minted tokens: all restored");
        is(logged("${kind}_minted_$at"), "2 $N 0 0",
           "$name minted tokens: \$azoai_pii_restored $N");

        $r = ask("${kind}_not_minted", $at, "${kind}_nm_$at");
        $text = $kind eq 'json'
            ? eval { json_decode($r->{body})->{choices}[0]{message}{content} }
            : texts($r->{body})->{0};
        ok(defined $text && $text eq '[EMAIL_9]' x $N,
           "$name tokens not minted: left as they are");

        $r = ask("${kind}_open", $at, "${kind}_open_$at");
        $text = $kind eq 'json'
            ? eval { json_decode($r->{body})->{choices}[0]{message}{content} }
            : texts($r->{body})->{0};
        ok(defined $text && $text eq '[EMAIL_1' x $N,
           "$name \"[EMAIL_1\" never closed: as sent, nothing lost");
    }
}

# --- invalid UTF-8 ----------------------------------------------------------

$r = ask('utf8_json');
is($r->{body}, $BAD_JSON, 'invalid UTF-8 JSON: passes as it came');
is(logged('utf8_json'), '2 0 0 1', 'invalid UTF-8 JSON: counted unscanned');
$r = ask('utf8_json', 'mask', 'utf8_json_mask');
ok(!$r->{status} || $r->{error},
   'invalid UTF-8 JSON, masking: not sent (fail closed)');
unlike($r->{raw_body} // '', qr/zed|bad/,
       'invalid UTF-8 JSON, masking: none of it reached the client');

$r = ask('utf8_sse');
is($r->{error}, undef, 'invalid UTF-8 event: the stream goes on');
ok(index($r->{body}, $BAD_EVENT) >= 0, 'invalid UTF-8 event: as it came');
is(texts($r->{body})->{0}, "ok $EMAIL still $PHONE",
   'invalid UTF-8 event: the events around it restored');
is(logged('utf8_sse'), '2 2 0 1', 'invalid UTF-8 event: counted unscanned');
$r = ask('utf8_sse', 'mask', 'utf8_sse_mask');
is($r->{error}, 'truncated chunked body',
   'invalid UTF-8 event, masking: the stream is cut there');
unlike($r->{body}, qr/zed|still/, 'invalid UTF-8 event, masking: not sent');

# --- n > 1 choices ------------------------------------------------------------

$r = ask('choices');
my $tx = texts($r->{body});
is($tx->{0}, "Mail $EMAIL now", 'choices interleaved: choice 0 restored');
is($tx->{1}, "Call $PHONE or dave\@example.net soon",
   'choices interleaved: choice 1 restored');
$r = ask('choices', 'mask', 'choicesmask');
$tx = texts($r->{body});
is($tx->{0}, "Mail $EMAIL now", 'choices interleaved, masking: choice 0');
is($tx->{1}, "Call $PHONE or [EMAIL] soon",
   'choices interleaved, masking: choice 1 masked, split at every byte');
is(logged('choicesmask'), '2 2 1 0', 'choices, masking: 2 restored, 1 masked');

# --- the Responses API ----------------------------------------------------

for my $at ('restore', 'mask') {
    $r = ask('responses_json', $at, "rj_$at");
    my $j = eval { json_decode($r->{body}) } || {};
    is($j->{output}[0]{content}[0]{text},
       "Hi $EMAIL, " . ($at eq 'mask' ? '[EMAIL]' : 'bob@x.org'),
       "Responses JSON, $at: output text");
    is($j->{output}[1]{arguments}, qq({"to":"$PHONE"}),
       "Responses JSON, $at: function call arguments, still JSON");
    is($j->{output_text}, "Hi $EMAIL", "Responses JSON, $at: output_text");

    $r = ask('responses_sse', $at, "rs_$at");
    $tx = texts($r->{body});
    is($tx->{out0}, "Hi $EMAIL!", "Responses SSE, $at: text deltas");
    is($tx->{out1}, qq({"to":"$PHONE"}),
       "Responses SSE, $at: argument deltas, escaped inside");
    like($r->{body}, qr/\Q"text":"Hi $EMAIL!"\E/,
         "Responses SSE, $at: output_text.done");
    like($r->{body}, qr/\Q"arguments":"{\"to\":\"$PHONE\"}"\E/,
         "Responses SSE, $at: function_call_arguments.done");
    like($r->{body}, qr/^event: response\.completed\n/m,
         "Responses SSE, $at: event names kept");
}

# --- split between two upstream writes at every byte --------------------

my @bad;
for my $k (@JSON_CUTS) {
    for my $at ('restore', 'mask') {
        $r = ask("split_json_$k", $at);
        my $c = eval { json_decode($r->{body})->{choices}[0]{message}
                       {content} } // '';
        my $want = "To $EMAIL, cc "
            . ($at eq 'mask' ? '[EMAIL]' : 'carol@example.net') . '.';
        push @bad, "json $at $k" if $c ne $want;
    }
}
for my $k (@SSE_CUTS) {
    for my $at ('restore', 'mask') {
        $r = ask("split_sse_$k", $at);
        my $want = "To $EMAIL, cc "
            . ($at eq 'mask' ? '[EMAIL]' : 'carol@example.net') . '.';
        push @bad, "sse $at $k" if (texts($r->{body})->{0} // '') ne $want;
    }
}
is("@bad", '', 'a token and a value split at every byte between two '
   . 'upstream writes ('
   . (@JSON_CUTS + @SSE_CUTS) * 2 . ' responses): restored and masked');

# --- compressed anyway: passed and counted, refused with masking -----------

$r = ask('gzip');
is($r->{body}, $RESPONSE{gzip_body},
   'compressed, restore only: passes as it came');
is(logged('gzip'), '2 0 0 1', 'compressed: $azoai_pii_unscanned 1');
$r = ask('gzip', 'mask', 'gzipmask');
ok(!$r->{status} && index($r->{raw} // '', "\x1f\x8b") < 0,
   'compressed, masking: not sent');
like($t->error_log, qr/compressed response cannot be scanned/,
     'compressed, masking: logged');

# --- NGINX keeps serving; counted; nothing leaked ------------------------

$r = ask('split_json_' . $JSON_CUTS[0], 'restore', 'after');
like($r->{body}, qr/\Q$EMAIL\E/, 'NGINX still serves after all of this');
is_deeply([$t->worker_pids], \@pids, 'the same worker: none died');

$r = http_request($t->port, method => 'GET', path => '/metrics');
like($r->{body},
     qr/^azoai_pii_response_unscanned_total\{action="passed"\} ([1-9]\d*)$/m,
     'metrics: responses and events passed unread');
like($r->{body},
     qr/^azoai_pii_response_unscanned_total\{action="refused"\} 4$/m,
     'metrics: 4 refused (10 MB event, 2 invalid UTF-8, compressed)');
like($r->{body}, qr/^azoai_pii_response_types_total\{type="email"\} \d+$/m,
     'metrics: values masked in responses, by type');

$t->error_log_clean;
like($t->error_log, qr/azoai: event \d+ of \d+ bytes rewritten; so far/,
     'a debug line per event');
my $logs = $t->error_log . $t->read_file('hostile.log') . join '', @HEADERS;
unlike($logs, qr/example\.(?:com|net|org)|415 555|bob\@x/,
       'no value in the logs (debug level) or the response headers');

done_testing();
