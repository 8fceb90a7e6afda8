#!/usr/bin/perl

# Hostile and broken input.  Each case either gets a clear Azure-shaped
# JSON error or, where the contract says the body is fine, reaches the
# upstream byte for byte (PII masked where there is PII); a denied request
# never reaches the upstream; NGINX keeps serving (a normal request right
# after each case succeeds, the workers never change) and its error log
# stays free of alerts and crashes.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time sleep);
use AzoaiTest;

AzoaiTest::require_module();

my $t = AzoaiTest->new(workers => 2);

$t->write_catalog;
$t->write_conf(<<'EOF');
    azoai_catalog %%CATALOG%%;

    server {
        listen 127.0.0.1:%%PORT%%;
        listen 127.0.0.1:%%PORT_H2%% http2;
        azoai on;
        azoai_pii on;
        client_body_timeout 2s;
        client_max_body_size 10m;
        keepalive_requests 1000;

        location / {
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF
$t->start_upstream->start;

my @WORKERS = $t->worker_pids;
my $PORT = $t->port;
my $CHAT_PATH = '/openai/v1/chat/completions';
my $DEP_PATH = '/openai/deployments/chat-prod/chat/completions'
    . '?api-version=2024-10-21';
my $JSON = [['Content-Type', 'application/json']];
my $CHAT = '"messages":[{"role":"user","content":"hi"}]';
my $served = 0;

sub post {
    my ($body, %o) = @_;
    return { method => 'POST', path => $o{path} || $CHAT_PATH,
             headers => $JSON, body => $body };
}

sub chat_body {
    my ($content, $model) = @_;
    $model = 'chat-prod' unless defined $model;
    return qq({"model":"$model","messages":[{"role":"user",)
        . qq("content":"$content"}]});
}

# the normal request that must succeed after every hostile one
sub still_serving {
    my ($what) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    $served++;
    return $t->expect_allowed(post(chat_body("normal request $served")),
                              "still serving after: $what");
}

sub denied {
    my ($req, $status, $code, $name) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    $t->expect_denied($req, $status, $code, $name);
    still_serving($name);
}

sub passes {
    my ($req, $name, %o) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my ($up, $r) = $t->expect_allowed($req, $name, %o);
    still_serving($name);
    return wantarray ? ($up, $r) : $up;
}

# the upstream count and error log after a client that never reads an
# answer: poll until the log shows NGINX finished with it
sub log_wait {
    my ($re, $from) = @_;
    my $deadline = time + $AzoaiTest::TIMEOUT;
    while (time < $deadline) {
        return 1 if substr($t->error_log, $from) =~ $re;
        sleep 0.05;
    }
    return 0;
}


# --- bodies that stop short ---------------------------------------------

{
    my $body = chat_body('x' x 400);
    my $head = "POST $CHAT_PATH HTTP/1.1\r\nHost: localhost\r\n"
        . "Content-Type: application/json\r\n";

    # Content-Length larger than what is sent, then the client closes
    for my $case (['closes', 0], ['half-closes and waits', 1]) {
        my ($how, $half) = @$case;
        my $name = "truncated body, client $how";
        my $before = $t->upstream_count;
        my $log_at = length $t->error_log;

        my $r = http_send_raw($PORT, shutdown => $half, read => $half,
            parts => [$head . "Content-Length: " . (length($body) + 500)
                      . "\r\n\r\n", substr($body, 0, 100)]);
        ok(log_wait(qr/client prematurely closed connection/, $log_at),
           "$name: NGINX saw the early close");
        if ($half) {
            # nobody left to answer: no response, or an error status
            ok(!defined $r || !defined $r->{status} || $r->{status} >= 400,
               "$name: no success response");
        }
        is($t->upstream_count - $before, 0,
           "$name: upstream received nothing");
        still_serving($name);
    }

    # same with a chunked body: a chunk announced, half of it sent
    {
        my $name = 'truncated chunked body, client closes';
        my $before = $t->upstream_count;
        my $log_at = length $t->error_log;

        http_send_raw($PORT, read => 0,
            parts => [$head . "Transfer-Encoding: chunked\r\n\r\n",
                      sprintf("%x\r\n", length $body)
                      . substr($body, 0, 100)]);
        ok(log_wait(qr/client prematurely closed connection/, $log_at),
           "$name: NGINX saw the early close");
        is($t->upstream_count - $before, 0,
           "$name: upstream received nothing");
        still_serving($name);
    }

    # the client stops mid-body and keeps the connection open:
    # client_body_timeout (2s) ends it
    {
        my $name = 'client stops sending mid-body';
        my $before = $t->upstream_count;
        my $start = time;

        my $r = http_send_raw($PORT,
            parts => [$head . "Content-Length: " . length($body)
                      . "\r\n\r\n", substr($body, 0, 150)]);
        my $took = time - $start;
        ok(!defined $r->{status} || $r->{status} == 408,
           "$name: connection ended without a success ("
           . ($r->{status} // $r->{error} // '?') . ")");
        cmp_ok($took, '>=', 1.5, "$name: NGINX waited for the body");
        cmp_ok($took, '<', 2 + $AzoaiTest::TIMEOUT,
               "$name: client_body_timeout ended it (${took}s)");
        is($t->upstream_count - $before, 0,
           "$name: upstream received nothing");
        ok($t->access_log_wait(qr/" 408 /),
           "$name: logged with status 408");
        still_serving($name);
    }
}


# --- slow senders: every byte in its own write ----------------------------

{
    my $allowed = chat_body('slow but fine');
    my $denied = qq({"messages":[{"role":"user","content":"slow"}],)
        . qq("model":"chat-preview"});
    my $pii = chat_body('mail me at jane.doe@example.com please');
    my $pii_masked = chat_body('mail me at [EMAIL] please');

    my $bytes = sub {
        my ($body, $whole) = @_;
        my $head = "POST $CHAT_PATH HTTP/1.1\r\nHost: localhost\r\n"
            . "Connection: close\r\nContent-Type: application/json\r\n"
            . "Content-Length: " . length($body) . "\r\n\r\n";
        return $whole ? [split //, $head . $body]
                      : [$head, split //, $body];
    };

    passes({ parts => $bytes->($allowed), delay => 0.002,
             path => $CHAT_PATH, body => $allowed },
           'slow sender, body byte by byte: byte-identical');
    passes({ parts => $bytes->($allowed, 1), delay => 0.002,
             path => $CHAT_PATH, body => $allowed },
           'slow sender, headers and body byte by byte');
    denied({ parts => $bytes->($denied), delay => 0.002 }, 403,
           'PreviewModelBlocked', 'slow sender, preview model last');
    my ($up) = passes({ parts => $bytes->($pii), delay => 0.002,
                        path => $CHAT_PATH, body => $pii_masked },
                      'slow sender with PII: masked');
}


# --- nesting ---------------------------------------------------------------

{
    # depth counts the top-level object: 64 levels pass, 65 do not
    my $arrays = sub {
        my ($depth) = @_;
        return qq({"model":"chat-prod",$CHAT,"x":) . ('[' x ($depth - 1))
            . (']' x ($depth - 1)) . '}';
    };
    my $objects = sub {
        my ($depth) = @_;
        return qq({"model":"chat-prod",$CHAT,"x":)
            . ('{"a":' x ($depth - 2)) . '{}' . ('}' x ($depth - 2))
            . '}';
    };

    passes(post($arrays->(64)), 'arrays nested 64 deep pass unchanged');
    passes(post($objects->(64)), 'objects nested 64 deep pass unchanged');
    denied(post($arrays->(65)), 400, 'InvalidBody', 'arrays nested 65 deep');
    denied(post($objects->(65)), 400, 'InvalidBody',
           'objects nested 65 deep');
    denied(post($arrays->(200_000)), 400, 'InvalidBody',
           'arrays nested 200000 deep');
    denied(post('[' x 300_000), 400, 'InvalidBody',
           '300000 unclosed brackets');

    # a 64-deep string with PII is still masked
    my $deep = qq({"model":"chat-prod",$CHAT,"x":) . ('[' x 62)
        . '{"content":"%s"}' . (']' x 62) . '}';
    passes(post(sprintf($deep, 'jane.doe@example.com')),
           'PII 64 levels deep is masked',
           body => sprintf($deep, '[EMAIL]'));
}


# --- strings: UTF-8, surrogates, NUL, control characters ------------------

{
    my %bad_utf8 = (
        'byte 0xff'                  => "a\xffb",
        'overlong 2-byte /'          => "a\xc0\xafb",
        'overlong 3-byte /'          => "a\xe0\x80\xafb",
        'UTF-8 encoded surrogate'    => "a\xed\xa0\x80b",
        'above U+10FFFF'             => "a\xf4\x90\x80\x80b",
        'lone continuation byte'     => "a\x80b",
        'sequence cut by the quote'  => "a\xe2\x82",
        '5-byte form'                => "a\xf8\x88\x80\x80\x80b",
    );
    for my $name (sort keys %bad_utf8) {
        denied(post(chat_body($bad_utf8{$name})), 400, 'InvalidBody',
               "invalid UTF-8 in a string: $name");
    }
    denied(post(qq({"model":"chat-prod",$CHAT,"k\xffey":1})), 400,
           'InvalidBody', 'invalid UTF-8 in a key');

    passes(post(chat_body("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 "
                          . "\xf4\x8f\xbf\xbf")),
           'valid 2, 3 and 4 byte UTF-8 (up to U+10FFFF) passes unchanged');

    # lone surrogate escapes: valid JSON grammar, passed through unchanged
    for my $s ('\ud800', '\udfff', '\ud800\u0041', '\ude00\ud83d',
               'x\udbff') {
        passes(post(chat_body("lone $s surrogate")),
               "lone surrogate escape $s in text passes unchanged");
    }
    passes(post(chat_body('pair \ud83d\ude00 ok')),
           'a surrogate pair passes unchanged');
    passes(post(chat_body('\ud800 jane.doe@example.com \udc00')),
           'lone surrogates around PII: PII masked, escapes kept',
           body => chat_body('\ud800 [EMAIL] \udc00'));
    denied(post(chat_body('hi', 'chat-prod\ud800')), 400, 'AmbiguousRequest',
           'lone surrogate in the model name');

    # NUL escapes are valid JSON and pass
    passes(post(chat_body('nul \u0000 inside')),
           '\u0000 in text passes unchanged');
    passes(post(qq({"model":"chat-prod",$CHAT,"k\\u0000":"\\u0000"})),
           '\u0000 in a key and a value passes unchanged');
    passes(post(chat_body('a\u0000jane.doe@example.com\u0000b')),
           '\u0000 around PII: PII masked, escapes kept',
           body => chat_body('a\u0000[EMAIL]\u0000b'));

    # a NUL must not cut a deployment name short in a C string compare
    denied(post(chat_body('hi', 'chat-prod\u0000')), 403,
           'UnknownDeployment', 'model "chat-prod\u0000" is not chat-prod');
    denied(post(chat_body('hi', 'chat-prod\u0000x')), 403,
           'UnknownDeployment', 'model "chat-prod\u0000x" is not chat-prod');

    # escapes in the model name and key are decoded before the check
    denied(post(chat_body('hi', 'chat\u002dpreview')), 403,
           'PreviewModelBlocked', 'escaped preview model name');
    denied(post(qq({"mod\\u0065l":"chat-preview",$CHAT})), 403,
           'PreviewModelBlocked', 'escaped "model" key');
    denied(post(qq({"model":"chat-prod","mod\\u0065l":"chat-preview",)
                . $CHAT . '}'), 400, 'AmbiguousRequest',
           '"model" twice, once spelled with an escape');

    # names the denial cannot echo as they are: still valid JSON, short
    for my $m (['x' x 100_000, '100 KB model name'],
               ['chat\\"\\n\\u0000<b>\\\\', 'quotes, escapes, NUL, markup'],
               ["caf\xc3\xa9-\xe2\x82\xac", 'non-ASCII model name']) {
        my $r = $t->request(post(chat_body('hi', $m->[0])));
        is_denial($r, 403, 'UnknownDeployment', "model: $m->[1]");
        cmp_ok(length($r->{body} // ''), '<', 1024,
               "model: $m->[1]: the error stays short");
        still_serving("model: $m->[1]");
    }

    # raw control characters are not allowed in JSON strings
    my %ctl = ('NUL' => "\x00", 'SOH' => "\x01", 'TAB' => "\t",
               'LF' => "\n", 'CR' => "\r", 'US' => "\x1f");
    for my $name (sort keys %ctl) {
        denied(post(chat_body("raw $ctl{$name} control")), 400,
               'InvalidBody', "raw control character $name in a string");
    }
    denied(post(qq({"model":"chat-prod",\f$CHAT})), 400, 'InvalidBody',
           'form feed as whitespace');
    denied(post(qq({"model":"chat-prod",$CHAT}\x00)), 400, 'InvalidBody',
           'NUL byte after the body');
    denied(post("\xef\xbb\xbf" . chat_body('bom')), 400, 'InvalidBody',
           'UTF-8 byte order mark before the body');
    passes(post(chat_body("DEL \x7f is allowed")),
           'raw DEL (0x7f) in a string passes unchanged');
    denied(post(chat_body('bad \x escape')), 400, 'InvalidBody',
           'unknown escape \x');
    denied(post(chat_body('short \u12 escape')), 400, 'InvalidBody',
           'short \u escape');
}


# --- duplicate keys and numbers ---------------------------------------------

{
    passes(post(qq({"model":"chat-prod",$CHAT,"temperature":1,)
                . qq("temperature":0.5,"metadata":{"a":"1","a":"2"}})),
           'duplicate keys pass unchanged');
    passes(post(qq({"model":"chat-prod","messages":[{"role":"user",)
                . qq("content":"a\@example.com","content":"b\@example.org"}],)
                . qq("metadata":{"model":"x","model":"y"}})),
           'duplicate content keys: both masked',
           body => qq({"model":"chat-prod","messages":[{"role":"user",)
                . qq("content":"[EMAIL]","content":"[EMAIL]"}],)
                . qq("metadata":{"model":"x","model":"y"}}));
    denied(post(qq({"model":"chat-prod",$CHAT,"model":"chat-preview"})),
           400, 'AmbiguousRequest', 'top-level "model" twice, different');
    denied(post(qq({"model":"chat-prod",$CHAT,"model":"chat-prod"})),
           400, 'AmbiguousRequest', 'top-level "model" twice, same');

    my @numbers = ('1e999999', '-1e999999', '1E+400', '-0', '-0.0e-999999',
                   '123456789012345678901234567890',
                   '0.' . ('0' x 400) . '1', '9' x 100_000);
    for my $n (@numbers) {
        my $label = length $n > 40 ? length($n) . '-digit number' : $n;
        passes(post(qq({"model":"chat-prod",$CHAT,"temperature":$n,)
                    . qq("seed":[$n,$n]})),
               "number $label passes byte-identical");
    }
    for my $n ('01', '1.', '.5', '+1', 'NaN', 'Infinity', '-', '1e', '0x10',
               '1e+', '--1') {
        denied(post(qq({"model":"chat-prod",$CHAT,"temperature":$n})), 400,
               'InvalidBody', "invalid number $n");
    }
}


# --- many tiny strings with masking on --------------------------------------

{
    my $path = '/openai/deployments/embed-prod/embeddings'
        . '?api-version=2024-10-21';
    my (@in, @out);
    my $emails = 0;

    for my $i (0 .. 49_999) {
        if ($i % 10 == 0) {
            push @in, qq("u$i\@ex.io");
            push @out, '"[EMAIL]"';
            $emails++;
        } else {
            push @in, qq("s$i");
            push @out, qq("s$i");
        }
    }
    my $body = '{"input":[' . join(',', @in) . ']}';
    my $want = '{"input":[' . join(',', @out) . ']}';
    my $start = time;
    my ($up, $r) = passes(post($body, path => $path),
                          '50000 short strings, 10% e-mail: masked',
                          body => $want);
    my $took = time - $start;
    is($r->{headers}{'x-azoai-pii-masked'}, $emails,
       "50000 short strings: X-AzOAI-PII-Masked $emails");
    is($up && $up->{headers}{'x-azoai-pii-masked'}, $emails,
       '50000 short strings: upstream X-AzOAI-PII-Masked');
    diag(sprintf '50000 strings (%d KB) masked in %.2fs',
                 length($body) / 1024, $took);

    my $all = '{"input":[' . join(',', map { qq("m$_\@ex.io") } 1 .. 20_000)
        . ']}';
    my $all_masked = '{"input":[' . join(',', ('"[EMAIL]"') x 20_000)
        . ']}';
    ($up, $r) = passes(post($all, path => $path),
                       '20000 strings, every one an e-mail: all masked',
                       body => $all_masked);
    is($r->{headers}{'x-azoai-pii-masked'}, 20_000,
       '20000 e-mails: X-AzOAI-PII-Masked 20000');

    passes(post('{"input":[' . join(',', ('""') x 50_000) . ']}',
                path => $path), '50000 empty strings pass unchanged');
}


# --- pathological text for the detectors: 1 MB each, linear time ---------

{
    my %runs = ('a@' => 'at signs', 'a.' => 'dots', '1 ' => 'spaced digits',
                '1-' => 'dashed digits', '1.1.' => 'dotted quads',
                '1:' => 'colons and digits', 'ab:' => 'hex groups',
                '+1 ' => 'phone prefixes', 'DE89 ' => 'IBAN prefixes',
                '\\' => 'escaped backslashes', '\u0040' => 'escaped @');
    for my $unit (sort keys %runs) {
        my $text = $unit x int(1_000_000 / length $unit);
        my $start = time;
        passes(post(chat_body($text)), "1 MB of $runs{$unit}: passes");
        my $took = time - $start;
        cmp_ok($took, '<', $AzoaiTest::TIMEOUT / 2,
               sprintf("1 MB of %s: scanned in %.2fs", $runs{$unit}, $took));
    }
}


# --- pipelined keep-alive requests after denials ---------------------------

{
    my $ka = sub {
        my ($body, %o) = @_;
        return build_request(method => 'POST', path => $o{path} || $CHAT_PATH,
            headers => [['Content-Type', 'application/json'],
                        ['Connection', $o{close} ? 'close' : 'keep-alive']],
            ($o{chunked} ? (chunked => $o{chunked}) : (body => $body)));
    };
    # a body that is itself an HTTP request: if a denial left it unread,
    # NGINX would take it for the next request
    my $smuggled = "POST /openai/deployments/chat-preview/chat/completions"
        . "?api-version=2024-10-21 HTTP/1.1\r\nHost: localhost\r\n"
        . "Content-Length: 2\r\n\r\n{}";
    my $big_denied = qq({"messages":[{"role":"user","content":")
        . ('z' x 65536) . qq("}],"model":"chat-preview"});

    my @reqs = (
        [$ka->(chat_body('one', 'chat-preview')), 403, 'PreviewModelBlocked',
         'preview model in the body'],
        [$ka->(chat_body('two')), 200, undef, 'allowed'],
        [$ka->($smuggled, path => $CHAT_PATH
               . '?api-version=2025-04-01-preview'),
         403, 'PreviewApiVersionBlocked',
         'preview api-version, body not read (looks like a request)'],
        [$ka->(undef, chunked => ['{"model":', '"chat-preview",', $CHAT,
                                  '}']),
         403, 'PreviewModelBlocked', 'chunked body, preview model'],
        [$ka->($smuggled, path => '/openai/deployments/chat-preview/'
               . 'chat/completions?api-version=2024-10-21'),
         403, 'PreviewModelBlocked', 'preview deployment in the path'],
        [$ka->($big_denied), 403, 'PreviewModelBlocked',
         '64 KB body, preview model last'],
        [$ka->('{"model":"chat-prod",' . $CHAT), 400, 'InvalidBody',
         'truncated JSON'],
        [$ka->(chat_body('mail jane.doe@example.com', 'chat-prod')), 200,
         undef, 'allowed with PII'],
        [$ka->(undef, chunked => ['{"model":"chat-prod","messages":[{"ro',
                                  'le":"user","content":"jane.doe@exa',
                                  'mple.com"}]}']),
         200, undef, 'chunked, allowed with PII'],
        [$ka->(chat_body('last'), close => 1), 200, undef,
         'allowed, Connection: close'],
    );
    my $before = $t->upstream_count;
    my @r = http_pipeline($PORT, join('', map { $_->[0] } @reqs),
                          scalar @reqs);

    is(scalar(grep { defined $_->{status} } @r), scalar @reqs,
       'pipelined: every request answered on one connection');
    for my $i (0 .. $#reqs) {
        my ($raw, $status, $code, $what) = @{$reqs[$i]};
        my $r = $r[$i] || { error => 'missing' };
        my $name = "pipelined #" . ($i + 1) . ": $what";
        if ($code) {
            is_denial($r, $status, $code, $name);
        } else {
            is($r->{status}, $status, $name);
        }
        if ($i < $#reqs) {
            like($r->{headers}{connection} // '', qr/keep-alive/i,
                 "$name: connection kept alive");
        }
    }
    my @up = $t->upstream_requests($before);
    is_deeply([map { $_->{body} } @up],
              [chat_body('two'), chat_body('mail [EMAIL]', 'chat-prod'),
               chat_body('[EMAIL]'), chat_body('last')],
              'pipelined: upstream got exactly the allowed bodies, in order');
    ok(!grep({ $_->{uri} =~ /chat-preview/ } @up),
       'pipelined: no smuggled request reached the upstream');
    still_serving('pipelined requests');

    # chunk extensions and trailers: the body is what the chunks carry
    my $body = chat_body('chunk ext jane.doe@example.com');
    my $raw = "POST $CHAT_PATH HTTP/1.1\r\nHost: localhost\r\n"
        . "Connection: close\r\nContent-Type: application/json\r\n"
        . "Transfer-Encoding: chunked\r\n\r\n"
        . sprintf("%x;name=value\r\n%s\r\n", 10, substr($body, 0, 10))
        . sprintf("%X\r\n%s\r\n", length($body) - 10, substr($body, 10))
        . "0\r\nX-Trailer: t\r\n\r\n";
    passes({ raw => $raw, path => $CHAT_PATH }, 'chunk extensions and a '
           . 'trailer: the chunks\' bytes, masked',
           body => chat_body('chunk ext [EMAIL]'));
}


# --- HTTP/2 ---------------------------------------------------------------

SKIP: {
    skip 'curl lacks HTTP/2', 4 unless curl_h2_available();

    my $h2 = $t->port('h2');
    $t->expect_denied({ via => 'h2', port => $h2, method => 'POST',
                        path => $CHAT_PATH, headers => $JSON,
                        body => chat_body('h2', 'chat-preview') },
                      403, 'PreviewModelBlocked',
                      'HTTP/2: preview model denied');
    $t->expect_denied({ via => 'h2', port => $h2, method => 'POST',
                        path => $CHAT_PATH, headers => $JSON,
                        body => '{"model":"chat-prod",' . ('[' x 70) },
                      400, 'InvalidBody', 'HTTP/2: 70-deep body denied');
    # (curl 7.88 reports an error when NGINX resets the stream whose
    # body it did not need after a complete response, as it does for a
    # denial before the body is read: see the session below)
}

# concurrent streams on one connection, DATA frames interleaved: denials
# (before and after the body is read), a stream the client cancels
# mid-body, and allowed ones
{
    my $h2 = $t->port('h2');
    my $preview_api = $CHAT_PATH . '?api-version=2025-04-01-preview';
    my $long = chat_body('h2 long ' . ('y' x 12000));
    my @seq = (
        [chat_body('h2 one', 'chat-preview'), $CHAT_PATH, 403,
         'PreviewModelBlocked'],
        [chat_body('h2 two'), $CHAT_PATH, 200],
        [chat_body('h2 three ' . ('w' x 9000)), $preview_api, 403,
         'PreviewApiVersionBlocked'],
        [chat_body('h2 \ud800 four'), $CHAT_PATH, 200],
        ['{"model":"chat-prod","model":"chat-prod"}', $CHAT_PATH, 400,
         'AmbiguousRequest'],
        [$long, $CHAT_PATH, undef, 'cancelled', 5000],
        ['{"model":"chat-prod",' . ('[' x 65) . (']' x 65) . '}',
         $CHAT_PATH, 400, 'InvalidBody'],
        [chat_body('h2 eight jane.doe@example.com'), $CHAT_PATH, 200],
        [chat_body('h2 nine, no length', 'chat-preview'), $CHAT_PATH, 403,
         'PreviewModelBlocked', undef, 1],
        [chat_body('h2 ten, no length, jane.doe@example.com'), $CHAT_PATH,
         200, undef, undef, 1],
    );
    my $before = $t->upstream_count;
    my @res = h2_session($h2, map { { method => 'POST', path => $_->[1],
                                      headers => $JSON, body => $_->[0],
                                      cancel => $_->[4],
                                      no_length => $_->[5] } } @seq);
    is(scalar @res, scalar @seq, 'HTTP/2 session: a result per stream');
    ok(!defined $res[0]{goaway}, 'HTTP/2 session: no GOAWAY');
    for my $i (0 .. $#seq) {
        my (undef, undef, $status, $code) = @{$seq[$i]};
        my $r = $res[$i];
        my $name = "HTTP/2 stream $r->{id} of one connection";
        next unless defined $status;
        is($r->{status}, $status, "$name: $status");
        next unless $code;
        my $j = json_decode($r->{body});
        is(ref $j eq 'HASH' && $j->{error}{code}, $code,
           "$name: Azure-shaped error $code");
    }
    my @up = $t->upstream_requests($before);
    is_deeply([sort map { $_->{body} } @up],
              [sort(chat_body('h2 two'), chat_body('h2 \ud800 four'),
                    chat_body('h2 eight [EMAIL]'),
                    chat_body('h2 ten, no length, [EMAIL]'))],
              'HTTP/2 session: upstream got exactly the allowed bodies');
    still_serving('HTTP/2 session');

    my ($api) = h2_session($h2, { method => 'POST', path => $preview_api,
                                  headers => $JSON,
                                  body => chat_body('h2 api') });
    is($api->{status}, 403, 'HTTP/2: preview api-version, 403');
    is((json_decode($api->{body}) || {})->{error}{code},
       'PreviewApiVersionBlocked', 'HTTP/2: preview api-version, code');

    # the same connection setup again still works
    my ($again) = h2_session($h2, { method => 'POST', path => $CHAT_PATH,
                                    headers => $JSON,
                                    body => chat_body('h2 again') });
    is($again->{status}, 200, 'HTTP/2: a new session after that works');
}


# --- the end ----------------------------------------------------------------

is_deeply([$t->worker_pids], \@WORKERS,
          'the same workers served everything (none crashed)');
$t->error_log_clean;

done_testing;
