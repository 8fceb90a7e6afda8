#!/usr/bin/perl

# PII masking on the routes and fields where values travel: completions
# prompt arrays, embeddings input arrays, Responses input items and
# instructions, tool-call arguments (JSON inside a string), tool results,
# user and metadata.  The upstream body is the client's with only the
# value spans replaced; base64 data: URIs are left alone (azoai_pii_opaque
# pass; t/48 has the default, deny).  Multipart
# audio bodies cannot be inspected: denied by default, forwarded as they
# are with azoai_invalid_body pass.  After an internal redirect (error_page
# to a named location) or a retry on the next upstream server, the body is
# masked exactly once.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use AzoaiTest;

AzoaiTest::require_module();

my $t = AzoaiTest->new;

my $whisper = '"whisper": { "001": "ga" },';
my $catalog = AzoaiTest::standard_catalog();
$catalog =~ s/("models": \{)/$1\n    $whisper/;
$catalog =~ s/("deployments": \{)/$1
    "whisper": { "model": "whisper", "version": "001" },
    "intercept": { "model": "gpt-4o", "version": "2024-11-20" },/;
$t->write_catalog($catalog);

# a port nothing listens on: the first upstream is down
my $DOWN = '127.0.0.1:' . $t->port('down');

$t->write_conf(<<"EOF");
    azoai_catalog %%CATALOG%%;
    log_format pii '\$http_x_test_id \$azoai_decision \$azoai_pii_count '
                   '\$azoai_pii_types';

    upstream retry {
        server $DOWN max_fails=0;
        server %%UPSTREAM%% max_fails=0;
    }

    server {
        listen 127.0.0.1:%%PORT%%;
        azoai on;
        azoai_pii on;
        azoai_pii_opaque pass;
        azoai_pii_pattern employee_id "EMP-[0-9]{6}";
        access_log %%DIR%%/pii.log pii;

        location / {
            proxy_pass http://%%UPSTREAM%%;
        }
        location /openai/deployments/intercept/ {
            proxy_pass http://%%UPSTREAM%%;
            proxy_intercept_errors on;
            error_page 404 = \@fallback;
        }
        location /openai/deployments/chat-mini/ {
            proxy_pass http://$DOWN;
            error_page 502 = \@fallback;
        }
        location \@fallback {
            proxy_pass http://%%UPSTREAM%%;
        }
        location /openai/deployments/embed-prod/ {
            proxy_next_upstream error;
            proxy_pass http://retry;
        }
    }

    server {
        listen 127.0.0.1:%%PORT_PASS%%;
        azoai on;
        azoai_pii on;
        azoai_invalid_body pass;
        access_log %%DIR%%/pii.log pii;

        location / {
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF
$t->start_upstream->start;

my %V = (
    EMAIL       => 'jane.doe@example.com',
    EMAIL2      => 'j.smith+ai@contoso.co.uk',
    PHONE       => '+1 415-555-2671',
    CREDIT_CARD => '4111 1111 1111 1111',
    IBAN        => 'DE89 3704 0044 0532 0130 00',
    US_SSN      => '536-90-4399',
    IPV4        => '203.0.113.42',
    IPV6        => '2001:db8::8a2e:370:7334',
    EMPLOYEE_ID => 'EMP-918273',
);

my $GA = 'api-version=2024-10-21';
my $n = 0;

# body with each listed raw span replaced by its tag; (body, count)
sub masked {
    my ($body, @spans) = @_;
    my $count = 0;

    for my $s (@spans) {
        my ($raw, $tag) = @$s;
        $count += $body =~ s/\Q$raw\E/[$tag]/g;
    }
    return ($body, $count);
}

sub post {
    my ($path, $body, %o) = @_;
    return { method => 'POST', path => $path, body => $body,
             port => $o{port},
             headers => [['Content-Type', $o{type} || 'application/json'],
                         ['X-Test-Id', 'r' . ++$n]] };
}

# an allowed request whose upstream body is $want, with $count masked
sub masked_ok {
    my ($req, $want, $count, $name) = @_;

    local $Test::Builder::Level = $Test::Builder::Level + 1;
    my ($up, $r) = $t->expect_allowed($req, "$name: only the spans change",
                                      body => $want);
    is($r->{headers}{'x-azoai-pii-masked'}, $count,
       "$name: X-AzOAI-PII-Masked $count");
    is($up && $up->{headers}{'x-azoai-pii-masked'}, $count,
       "$name: upstream X-AzOAI-PII-Masked $count");
    return ($up, $r);
}

my $chat = "/openai/deployments/chat-prod/chat/completions?$GA";

# completions: prompt array
{
    my $body = qq({"prompt":["Reach $V{EMAIL} today",)
        . qq("card: $V{CREDIT_CARD}","nothing here",)
        . qq("ip\\t$V{IPV4}"],"max_tokens":16,"echo":false});
    my ($want, $c) = masked($body, [$V{EMAIL}, 'EMAIL'],
                            [$V{CREDIT_CARD}, 'CREDIT_CARD'],
                            [$V{IPV4}, 'IPV4']);
    is($c, 3, 'completions: three spans in the body');
    masked_ok(post("/openai/deployments/chat-prod/completions?$GA", $body),
              $want, 3, 'completions prompt array');
}

# embeddings: input array (and a single string)
{
    my $body = qq({"input":["$V{IBAN} is my account",)
        . qq("employee $V{EMPLOYEE_ID}, SSN $V{US_SSN}"],)
        . qq("dimensions":256});
    my ($want, $c) = masked($body, [$V{IBAN}, 'IBAN'],
                            [$V{EMPLOYEE_ID}, 'EMPLOYEE_ID'],
                            [$V{US_SSN}, 'US_SSN']);
    masked_ok(post("/openai/deployments/embed-prod/embeddings?$GA", $body),
              $want, $c, 'embeddings input array');

    $body = qq({"input":"call $V{PHONE}"});
    ($want, $c) = masked($body, [$V{PHONE}, 'PHONE']);
    masked_ok(post("/openai/deployments/embed-prod/embeddings?$GA", $body),
              $want, 1, 'embeddings input string');
}

# Responses: instructions, input items with input_text, a function call
# output, and an image by data: URI whose base64 holds card-like digits
{
    my $png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4'
        . '4111111111111111' . '2o3iMAAAAASUVORK5CYII' . '5105105105105100'
        . 'AAA=';
    my $body = qq({"model":"chat-prod","instructions":"Never mail )
        . qq($V{EMAIL2} without asking",)
        . qq("input":[{"role":"user","content":[)
        . qq({"type":"input_text","text":"My IPv6 is $V{IPV6}."},)
        . qq({"type":"input_image","image_url":"data:image/png;base64,$png"}]},)
        . qq({"type":"function_call_output","call_id":"call_9",)
        . qq("output":"{\\"phone\\":\\"$V{PHONE}\\"}"}],)
        . qq("metadata":{"ticket":"from $V{EMAIL}"}});
    my ($want, $c) = masked($body, [$V{EMAIL2}, 'EMAIL'],
                            [$V{IPV6}, 'IPV6'], [$V{PHONE}, 'PHONE'],
                            [$V{EMAIL}, 'EMAIL']);
    is($c, 4, 'responses: four spans in the body');
    my ($up) = masked_ok(post('/openai/v1/responses', $body), $want, 4,
                         'responses input items and instructions');
    like($up ? $up->{body} : '', qr/\Q$png\E/,
         'responses: the data: URI is untouched');
}

# chat: tool calls with arguments as a JSON string, a tool result, user,
# metadata values, and an image part by data: URI
{
    my $b64 = '/9j/4AAQSkZJRgABAQ' . '4111 1111 1111 1111' . 'AAD'
        . '536904399' . 'x/2Q==';
    $b64 =~ s/ /+/g;
    my $body = qq({"messages":[)
        . qq({"role":"system","content":"You are helpful."},)
        . qq({"role":"user","content":[)
        . qq({"type":"text","text":"Book it for $V{EMAIL}"},)
        . qq({"type":"image_url","image_url":)
        . qq({"url":"data:image/jpeg;base64,$b64"}}]},)
        . qq({"role":"assistant","content":null,"tool_calls":[)
        . qq({"id":"call_1","type":"function","function":{"name":"book",)
        . qq("arguments":"{\\"email\\":\\"$V{EMAIL}\\",)
        . qq(\\"card\\":\\"$V{CREDIT_CARD}\\",\\"n\\":2}"}}]},)
        . qq({"role":"tool","tool_call_id":"call_1",)
        . qq("content":"{\\"status\\":\\"ok\\",\\"ssn\\":\\"$V{US_SSN}\\"}"}],)
        . qq("user":"$V{EMAIL2}",)
        . qq("metadata":{"customer":"$V{EMPLOYEE_ID}","phone":"$V{PHONE}"}});
    my ($want, $c) = masked($body, [$V{EMAIL}, 'EMAIL'],
                            [$V{CREDIT_CARD}, 'CREDIT_CARD'],
                            [$V{US_SSN}, 'US_SSN'], [$V{EMAIL2}, 'EMAIL'],
                            [$V{EMPLOYEE_ID}, 'EMPLOYEE_ID'],
                            [$V{PHONE}, 'PHONE']);
    # the base64 was not touched by the substitutions above ('+', not ' ')
    like($want, qr/\Q$b64\E/, 'chat: the expected body keeps the base64');
    is($c, 7, 'chat: seven spans in the body');
    my ($up) = masked_ok(post($chat, $body), $want, 7,
                         'chat tool calls, tool result, user, metadata');
    like($up ? $up->{body} : '', qr/\Q$b64\E/,
         'chat: the data: URI is untouched');
    my $line = $t->access_log_wait(qr/^r$n /, 'pii.log') // '';
    like($line, qr/ 7 email:3,phone:1,credit_card:1,us_ssn:1,employee_id:1$/,
         'chat: $azoai_pii_types per type');
}

# Evasion: the arguments string is JSON, and its own \u0040 escape (raw
# "\\u0040" in the body) still reads as '@' to the model and the tool.
# The whole raw span should be masked.
{
    my $body = qq({"messages":[{"role":"assistant","tool_calls":[)
        . qq({"id":"c2","type":"function","function":{"name":"f",)
        . qq("arguments":"{\\"to\\":\\"jane.doe\\\\u0040example.com\\"}"}}]}]});
    my ($want) = masked($body, ['jane.doe\\\\u0040example.com', 'EMAIL']);
    isnt($want, $body, 'escaped: the expected body differs');
    masked_ok(post($chat, $body), $want, 1,
              'evasion: e-mail with a nested \\u0040 escape in arguments');
}

# multipart audio: not inspectable
{
    my $boundary = '----azoaiBoundary7MA4YWxkTrZu0gW';
    my $wav = "RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00"
        . join('', map { chr } 0 .. 255) . "\r\n--not-the-boundary\r\n";
    my $body = "--$boundary\r\n"
        . qq(Content-Disposition: form-data; name="file"; )
        . qq(filename="call.wav"\r\nContent-Type: audio/wav\r\n\r\n)
        . "$wav\r\n--$boundary\r\n"
        . qq(Content-Disposition: form-data; name="prompt"\r\n\r\n)
        . "Caller $V{EMAIL}, card $V{CREDIT_CARD}\r\n"
        . "--$boundary\r\n"
        . qq(Content-Disposition: form-data; name="response_format")
        . "\r\n\r\njson\r\n--$boundary--\r\n";
    my $path = "/openai/deployments/whisper/audio/transcriptions?$GA";
    my $type = "multipart/form-data; boundary=$boundary";

    $t->expect_denied(post($path, $body, type => $type), 400, 'InvalidBody',
                      'multipart: denied by default');

    my ($up, $r) = $t->expect_allowed(
        post($path, $body, type => $type, port => $t->port('pass')),
        'multipart with azoai_invalid_body pass: forwarded byte-identical',
        body => $body);
    is($up && $up->{headers}{'content-type'}, $type,
       'multipart: Content-Type kept');
    my $masked = $r->{headers}{'x-azoai-pii-masked'};
    ok(!defined $masked || $masked eq '0',
       'multipart: nothing reported masked')
        or diag($masked);
}

# internal redirect: the first upstream is down, error_page 502 sends the
# request to a named location; the body is masked once, counted once
{
    my $body = qq({"messages":[{"role":"user","content":)
        . qq("mail $V{EMAIL} or call $V{PHONE}"}],"user":"$V{EMAIL}"});
    my ($want, $c) = masked($body, [$V{EMAIL}, 'EMAIL'],
                            [$V{PHONE}, 'PHONE']);
    my $path = "/openai/deployments/chat-mini/chat/completions?$GA";
    my ($up, $r) = masked_ok(post($path, $body), $want, $c,
                             'error_page to @fallback');
    if ($up) {
        my @ids = grep { lc $_->[0] eq 'x-azoai-request-id' }
                  @{$up->{header_list}};
        my @cnt = grep { lc $_->[0] eq 'x-azoai-pii-masked' }
                  @{$up->{header_list}};
        is(scalar @ids, 1, '@fallback: one X-AzOAI-Request-Id upstream');
        like($ids[0] ? $ids[0][1] : 'absent', qr/^[0-9a-f]{32}$/,
             '@fallback: the request id is 32 lower-case hex digits');
        is(scalar @cnt, 1, '@fallback: one X-AzOAI-PII-Masked upstream');
        is($ids[0] && $ids[0][1], $r->{headers}{'x-azoai-request-id'},
           '@fallback: the client sees the same request id');
    }
    my $line = $t->access_log_wait(qr/^r$n /, 'pii.log') // '';
    like($line, qr/^r$n allow $c email:2,phone:1$/,
         '@fallback: logged once with the count')
        or diag($line);

    # the upstream answered 404, intercepted: @fallback sends the body a
    # second time; both copies masked once
    $path = "/openai/deployments/intercept/chat/completions?$GA";
    my $req = post($path, $body);
    push @{$req->{headers}}, ['X-Test-Response', 'error'];
    my $before = $t->upstream_count;
    $r = $t->request($req);
    is($r->{status}, 404, 'intercepted 404: the fallback\'s answer');
    my @ups = $t->upstream_requests($before);
    is(scalar @ups, 2, 'intercepted 404: the upstream got the body twice');
    is($_->{body}, $want, "intercepted 404: copy $_->{n} masked once")
        for @ups;
    is($_->{headers}{'x-azoai-pii-masked'}, $c,
       "intercepted 404: copy $_->{n} X-AzOAI-PII-Masked $c") for @ups;
    is($r->{headers}{'x-azoai-pii-masked'}, $c,
       "intercepted 404: X-AzOAI-PII-Masked $c to the client");
}

# the next upstream server: the masked body is sent again, whole
{
    my $body = qq({"input":["$V{EMAIL}","$V{IPV4}"]});
    my ($want, $c) = masked($body, [$V{EMAIL}, 'EMAIL'], [$V{IPV4}, 'IPV4']);
    for my $i (1 .. 2) {
        masked_ok(post("/openai/deployments/embed-prod/embeddings?$GA",
                       $body), $want, $c, "proxy_next_upstream ($i)");
    }
}

# no value reached a log
{
    my $logs = $t->error_log . ($t->read_file('pii.log') // '');
    my @seen = grep { index($logs, $V{$_}) >= 0 } sort keys %V;
    ok(!@seen, 'no value in the logs') or diag("@seen");
}

$t->error_log_clean;

done_testing;
