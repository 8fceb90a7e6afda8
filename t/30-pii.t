#!/usr/bin/perl

# PII masking through NGINX: each action (mask, hash, partial, block), type
# selection, a custom pattern; every byte outside a masked span reaches the
# upstream as sent, with a matching Content-Length and the count headers.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Digest::SHA qw(hmac_sha256_hex);
use AzoaiTest;

AzoaiTest::require_module();

my $t = AzoaiTest->new(workers => 2);

my $KEY = 'test-hmac-key-not-a-secret-0123456789';
$t->write_file('hash.key', $KEY);
$t->write_catalog;
$t->write_conf(<<'EOF');
    azoai_catalog %%CATALOG%%;
    azoai_deployment pii-block gpt-4o 2024-11-20;
    azoai_deployment pii-partial gpt-4o 2024-11-20;
    azoai_deployment pii-groups gpt-4o 2024-11-20;
    azoai_deployment pii-natid gpt-4o 2024-11-20;
    log_format pii '$http_x_test_id $pid $azoai_pii_count $azoai_pii_types';

    server {
        listen 127.0.0.1:%%PORT%% reuseport;
        listen 127.0.0.1:%%PORT_H2%% http2;
        client_body_buffer_size 1k;
        azoai on;
        azoai_pii on;
        azoai_pii_hash_key %%DIR%%/hash.key;
        azoai_pii_pattern employee_id "EMP-[0-9]{6}";
        access_log %%DIR%%/pii.log pii;

        location / {
            proxy_pass http://%%UPSTREAM%%;
        }
        location /openai/deployments/chat-mini/ {
            azoai_pii_action hash;
            proxy_pass http://%%UPSTREAM%%;
        }
        location /openai/deployments/embed-prod/ {
            azoai_pii_types email;
            azoai_pii_action credit_card partial;
            proxy_pass http://%%UPSTREAM%%;
        }
        location /openai/deployments/pii-block/ {
            azoai_pii_action credit_card block;
            proxy_pass http://%%UPSTREAM%%;
        }
        location /openai/deployments/pii-groups/ {
            azoai_pii_types secrets financial;
            proxy_pass http://%%UPSTREAM%%;
        }
        location /openai/deployments/pii-natid/ {
            azoai_pii_action national_ids block;
            azoai_pii_action uk_nino mask;
            proxy_pass http://%%UPSTREAM%%;
        }
        location /openai/deployments/pii-partial/ {
            azoai_pii_action credit_card partial;
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF
$t->start_upstream->start;

my %PII = (
    EMAIL       => 'jane.doe@example.com',
    CREDIT_CARD => '4111 1111 1111 1111',
    IBAN        => 'DE89 3704 0044 0532 0130 00',
    US_SSN      => '536-90-4399',
    IPV4        => '203.0.113.42',
    IPV6        => '2001:db8::8a2e:370:7334',
    PHONE       => '+1 415-555-2671',
    EMPLOYEE_ID => 'EMP-123456',
    SECRET      => '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',
    UK_NINO     => 'AB 12 34 56 C',
    FR_NIR      => '2 55 08 2A 004 123 69',
    ES_DNI      => 'X1234567L',
    IT_FISCAL_CODE => 'RSSMRA85T10A562S',
    SG_NRIC     => 'S1234567D',
    US_MBI      => '1EG4-TE5-MK73',
    CRYPTO_WALLET => '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed',
);

my $n = 0;

sub chat {
    my ($dep, $body) = @_;
    return { method => 'POST', body => $body,
             path => "/openai/deployments/$dep/chat/completions"
                     . '?api-version=2024-10-21',
             headers => [['Content-Type', 'application/json'],
                         ['X-Test-Id', 'q' . ++$n]] };
}

sub content {
    my ($text) = @_;
    return qq({"messages":[{"role":"user","content":"$text"}]});
}

# each type alone, masked with its tag, nothing else changed
for my $type (sort keys %PII) {
    my $body = content("value: $PII{$type} (end)");
    (my $want = $body) =~ s/\Q$PII{$type}\E/[$type]/;
    my ($up, $r) = $t->expect_allowed(chat('chat-prod', $body),
                                      "$type: allowed", body => $want);
    is($r->{headers}{'x-azoai-pii-masked'}, '1', "$type: PII-Masked 1");
    is($up && $up->{headers}{'x-azoai-pii-masked'}, '1',
       "$type: upstream PII-Masked 1");
}

# the bytes around the spans are the client's, exactly
{
    my $body = qq({ "seed" : 9007199254740993,\t"temperature":0.70,\n)
        . qq( "messages":[{"role":"user","content":[{"type":"text",)
        . qq("text":"caf\\u00e9 \\"$PII{EMAIL}\\"\\nand $PII{IPV4}."}]},)
        . qq({"role":"assistant","content":"ok","name":"a"}],)
        . qq("user":"$PII{EMAIL}","metadata":{"k":"v","k":"w"},)
        . qq("model_extra":1e2 }\n);
    (my $want = $body) =~ s/\Q$PII{EMAIL}\E/[EMAIL]/g;
    $want =~ s/\Q$PII{IPV4}\E/[IPV4]/;
    my ($up, $r) = $t->expect_allowed(chat('chat-prod', $body),
                                      'mixed body: only the spans change',
                                      body => $want);
    is($r->{headers}{'x-azoai-pii-masked'}, '3', 'mixed body: 3 masked');
}

# where the values hide: escapes, JSON inside a string, a 64 KB body
# (spooled to a file), chunked, HTTP/2
{
    my $body = content('mail jane.doe\\u0040example.com now');
    $t->expect_allowed(chat('chat-prod', $body), 'escaped @ is masked',
                       body => content('mail [EMAIL] now'));

    $body = qq({"messages":[{"role":"assistant","content":null,)
        . qq("tool_calls":[{"id":"c1","type":"function","function":)
        . qq({"name":"send","arguments":"{\\"to\\":\\"$PII{EMAIL}\\"}"}}]}]});
    (my $want = $body) =~ s/\Q$PII{EMAIL}\E/[EMAIL]/;
    $t->expect_allowed(chat('chat-prod', $body),
                       'tool call arguments are masked', body => $want);

    my $pad = 'plain words ' x 5500;
    $body = content("$pad $PII{EMAIL}");
    $t->expect_allowed(chat('chat-prod', $body),
                       '64 KB body: value at the end masked',
                       body => content("$pad [EMAIL]"));

    my $req = chat('chat-prod', undef);
    $body = content("call $PII{PHONE} or mail $PII{EMAIL}");
    $req->{chunked} = [substr($body, 0, 50), substr($body, 50)];
    $t->expect_allowed($req, 'chunked body masked',
                       body => content('call [PHONE] or mail [EMAIL]'));

    SKIP: {
        skip 'curl lacks HTTP/2', 1 unless curl_h2_available();
        $req = chat('chat-prod', content("mail $PII{EMAIL}"));
        $req->{via} = 'h2';
        $req->{port} = $t->port('h2');
        $t->expect_allowed($req, 'HTTP/2 body masked',
                           body => content('mail [EMAIL]'));
    }

    # base64 payloads are not text
    $body = qq({"messages":[{"role":"user","content":[{"type":"image_url",)
        . qq("image_url":{"url":"data:image/png;base64,iVBORw0KGgo)
        . qq(4111111111111111AAAA+/203.0.113.42AAAA=="}}]}]});
    $t->expect_allowed(chat('chat-prod', $body), 'data: URI left alone');
}

# nothing to mask: the body is forwarded as it is
$t->expect_allowed(chat('chat-prod', content('no personal data here')),
                   'clean body unchanged');

# numbers that fail their checksum are not cards
$t->expect_allowed(chat('chat-prod', content('order 4111 1111 1111 1112')),
                   'Luhn-invalid number unchanged');

# hash: the same value gives the same pseudonym, in every worker
{
    my $want = substr(hmac_sha256_hex("EMAIL:$PII{EMAIL}", $KEY), 0, 12);
    my (%pseudonym, %pids);
    for my $i (1 .. 12) {
        my $mixed = $i % 2 ? $PII{EMAIL} : 'Jane.Doe@Example.COM';
        my $req = chat('chat-mini', content("mail $mixed"));
        my $before = $t->upstream_count;
        my $r = $t->request($req);
        my ($up) = $t->upstream_requests($before);
        my ($p) = ($up ? $up->{body} : '') =~ /mail (\[[^\]]*\])/;
        $pseudonym{$p // 'none'}++;
        my $line = $t->access_log_wait(qr/^q$n /, 'pii.log') // '';
        $pids{(split / /, $line)[1] // '?'}++;
        last if $i >= 4 && keys %pids > 1;
    }
    is_deeply([keys %pseudonym], ["[EMAIL:$want]"],
              'hash: one pseudonym, HMAC-SHA256(key, "EMAIL:" value)')
        or diag(join ' ', keys %pseudonym);
    diag('hash: only one worker answered') if keys %pids < 2;

    my $r = $t->request(chat('chat-mini', content('mail john@example.org')));
    my ($up) = $t->upstream_requests($t->upstream_count - 1);
    unlike($up->{body}, qr/\[EMAIL:$want\]/, 'hash: other value differs');
    like($up->{body}, qr/\[EMAIL:[0-9a-f]{12}\]/, 'hash: tag format');
}

# type selection: only e-mail on this location
{
    my $body = qq({"input":["$PII{EMAIL} paid with $PII{CREDIT_CARD}",)
        . qq("from $PII{IPV4}"]});
    (my $want = $body) =~ s/\Q$PII{EMAIL}\E/[EMAIL]/;
    my $req = chat('embed-prod', $body);
    $req->{path} =~ s{chat/completions}{embeddings};
    $t->expect_allowed($req, 'azoai_pii_types email: only e-mail masked',
                       body => $want);
}

# group names: secrets and financial on, contact (e-mail) off
{
    my $body = content("$PII{EMAIL} key $PII{SECRET} card $PII{CREDIT_CARD}");
    my $want = content("$PII{EMAIL} key [SECRET] card [CREDIT_CARD]");
    my ($up, $r) = $t->expect_allowed(chat('pii-groups', $body),
                                      'azoai_pii_types secrets financial',
                                      body => $want);
    is($r->{headers}{'x-azoai-pii-masked'}, '2', 'groups: 2 masked');
}

# an NHS number with its context word is UK_NHS, not PHONE; without the
# word the same digits are a phone number
{
    $t->expect_allowed(chat('chat-prod',
                            content('My NHS number is 943 476 5919.')),
                       'NHS number with context: UK_NHS',
                       body => content('My NHS number is [UK_NHS].'));
    $t->expect_allowed(chat('chat-prod', content('call 943 476 5919')),
                       'the same digits without context: PHONE',
                       body => content('call [PHONE]'));
    $t->expect_allowed(chat('chat-prod', content('BSN 111222334 is wrong')),
                       'BSN with a wrong check digit: unchanged');
}

# azoai_pii_action with a group; the type's own line wins over its group's
{
    my $r = $t->request(chat('pii-natid',
                             content('Aadhaar 2341 2341 2346, thanks')));
    is_denial($r, 403, 'PiiBlocked', 'action national_ids block: denied');
    unlike($r->{body}, qr/2341/, 'group block: no value echoed');

    $t->expect_allowed(chat('pii-natid', content('NINO AB123456C ok')),
                       'action uk_nino mask wins over its group',
                       body => content('NINO [UK_NINO] ok'));
}

# partial
{
    my $body = content("card $PII{CREDIT_CARD} ok");
    (my $want = $body) =~ s/\Q$PII{CREDIT_CARD}\E/[CREDIT_CARD:...1111]/;
    $t->expect_allowed(chat('pii-partial', $body),
                       'partial keeps the last 4 digits', body => $want);
}

# block
{
    my $req = chat('pii-block', content("card $PII{CREDIT_CARD} and "
                                       . "$PII{EMAIL}"));
    my $before = $t->upstream_count;
    my $r = $t->request($req);
    is_denial($r, 403, 'PiiBlocked', 'block: denied');
    is($t->upstream_count - $before, 0, 'block: upstream received nothing');
    like((json_decode($r->{body}) || {})->{error}{message} // '',
         qr/credit.card/i, 'block: message names the type');
    unlike($r->{body}, qr/4111|1111 1111|jane/, 'block: no value echoed');

    $t->expect_allowed(chat('pii-block', content("just $PII{EMAIL}")),
                       'block: other types still masked',
                       body => content('just [EMAIL]'));
}

# nothing personal in the logs
my $logs = $t->error_log . ($t->read_file('pii.log') || '')
    . ($t->read_file('access.log') || '');
for my $type (sort keys %PII) {
    unlike($logs, qr/\Q$PII{$type}\E/, "no $type value in the logs");
}
like($t->read_file('pii.log'), qr/ 3 email:2,ipv4:1$/m,
     '$azoai_pii_types lists types and counts');

$t->error_log_clean;

done_testing;
