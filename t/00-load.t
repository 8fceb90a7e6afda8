#!/usr/bin/perl

# The module loads into the packaged NGINX; configuration errors (catalog
# file, directive arguments) fail `nginx -t`, say where, and print the
# exact messages README's troubleshooting section quotes.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use AzoaiTest;

AzoaiTest::require_module();

my $t = AzoaiTest->new;

$t->write_catalog;

my $good = <<'EOF';
    server {
        listen 127.0.0.1:%%PORT%%;
        azoai_catalog %%CATALOG%%;

        location /plain/ {
            proxy_pass http://%%UPSTREAM%%;
        }
        location / {
            azoai on;
            azoai_mode enforce;
            azoai_deployment extra-dep gpt-4o 2024-08-06;
            azoai_preview_api deny;
            azoai_unknown_deployment deny;
            azoai_max_body_size 8m;
            azoai_invalid_body deny;
            azoai_pii off;
            azoai_pii_pattern badge_v2 "B-[0-9]{4}";
            azoai_audit_headers on;
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF

# a good configuration with every contract directive
$t->write_conf($good);
my ($rc, $out) = $t->nginx_test;
is($rc, 0, 'nginx -t accepts a configuration with every directive')
    or diag($out);

SKIP: {
    skip 'the good configuration does not load', 7 if $rc != 0;

    $t->start_upstream->start;

    my $r = http_request($t->port, method => 'GET', path => '/plain/x');
    is($r->{status}, 200, 'azoai off: proxied');

    $r = http_request($t->port, method => 'POST',
        path => '/openai/deployments/chat-prod/chat/completions'
                . '?api-version=2024-10-21',
        headers => [['Content-Type', 'application/json']],
        body => '{"messages":[{"role":"user","content":"hi"}]}');
    is($r->{status}, 200, 'azoai on: GA request proxied');

    $r = http_request($t->port, method => 'POST',
        path => '/openai/deployments/extra-dep/embeddings'
                . '?api-version=2024-10-21',
        headers => [['Content-Type', 'application/json']],
        body => '{"input":"hi"}');
    is($r->{status}, 200, 'azoai_deployment adds a GA deployment');

    ok($t->reload, 'reload with the module loaded');
    $r = http_request($t->port, method => 'POST',
        path => '/openai/deployments/chat-preview/chat/completions'
                . '?api-version=2024-10-21',
        headers => [['Content-Type', 'application/json']],
        body => '{"messages":[{"role":"user","content":"hi"}]}');
    is_denial($r, 403, 'PreviewModelBlocked', 'enforcing after reload');

    # a reload reads the catalog again
    my $ga = '"model": "gpt-4o", "version": "2024-11-20"';
    $t->write_catalog(AzoaiTest::standard_catalog()
        =~ s/"model": "gpt-5-chat", "version": "2025-08-07"/$ga/r);
    ok($t->reload, 'reload with a changed catalog');
    $r = http_request($t->port, method => 'POST',
        path => '/openai/deployments/chat-preview/chat/completions'
                . '?api-version=2024-10-21',
        headers => [['Content-Type', 'application/json']],
        body => '{"messages":[{"role":"user","content":"hi"}]}');
    is($r->{status}, 200, 'the new catalog applies after reload');

    $t->stop;
}

# catalog errors name the file and the JSON path of the problem
my %bad_catalogs = (
    'not JSON'       => ['{"models": {', 'invalid JSON at line 1 (byte 11)'],
    'bad status'     => ['{"models":{"gpt-4o":{"2024-11-20":"beta"}}}',
        'models.gpt-4o.2024-11-20: status must be "ga", "preview" or '
        . '"retired"'],
    'models a list'  => ['{"models":["gpt-4o"]}',
        'models: must be an object of models'],
    'deployment without model' =>
        ['{"models":{},"deployments":{"d":{"version":"1"}}}',
         'deployments.d: "model" is missing'],
    # the name grammar: 1 to 64 of [A-Za-z0-9._-], "*" only as a version
    'model name with ":"' => ['{"models":{"ft:gpt-4o":{"*":"ga"}}}',
        'models.ft:gpt-4o: a model name must be 1 to 64 letters, digits, '
        . '".", "_" or "-"'],
    'version with a space' =>
        ['{"models":{"gpt-4o":{"2024 11 20":"ga"}}}',
         'models.gpt-4o.2024 11 20: a version must be "*" or 1 to 64 '
         . 'letters, digits, ".", "_" or "-"'],
    'deployment name too long' =>
        ['{"models":{},"deployments":{"' . ('d' x 65)
         . '":{"model":"gpt-4o","version":"2024-11-20"}}}',
         'deployments.' . ('d' x 65) . ': a deployment name must be 1 to '
         . '64 letters, digits, ".", "_" or "-"'],
    'deployment version "*"' =>
        ['{"models":{},"deployments":{"d":{"model":"gpt-4o",'
         . '"version":"*"}}}',
         'deployments.d.version: must be a string of 1 to 64 letters, '
         . 'digits, ".", "_" or "-"'],
);

# the line of an [emerg] message
sub emerg_re {
    my ($msg) = @_;
    return qr/\[emerg\] (?:\d+#\d+: )?\Q$msg\E in \S*bad\.conf:\d+$/m;
}

for my $what (sort keys %bad_catalogs) {
    my ($json, $msg) = @{$bad_catalogs{$what}};
    my $file = $t->write_catalog($json, 'bad-catalog.json');
    (my $conf = $good) =~ s/%%CATALOG%%/$file/;
    $t->write_conf($conf, file => 'bad.conf');
    ($rc, $out) = $t->nginx_test("$t->{dir}/bad.conf");
    isnt($rc, 0, "catalog $what: nginx -t fails");
    like($out, qr/\Q$file\E|bad-catalog\.json/,
         "catalog $what: the error names the file") or diag($out);
    like($out, qr/\[emerg\]/, "catalog $what: emerg");
    like($out, emerg_re("azoai_catalog \"$file\": $msg"),
         "catalog $what: the message") or diag($out);
}

{
    (my $conf = $good) =~ s/%%CATALOG%%/%%DIR%%\/missing-catalog.json/;
    $t->write_conf($conf, file => 'bad.conf');
    ($rc, $out) = $t->nginx_test("$t->{dir}/bad.conf");
    isnt($rc, 0, 'missing catalog: nginx -t fails');
    like($out, qr/missing-catalog\.json/, 'missing catalog: named')
        or diag($out);
    like($out, emerg_re("azoai_catalog \"$t->{dir}/missing-catalog.json\": "
                        . 'cannot open: No such file or directory'),
         'missing catalog: the message') or diag($out);
}

# bad directive arguments, and the message NGINX prints for each
my $ONOFF = 'it must be "on" or "off"';
my @bad_directives = (
    ['azoai', 'azoai maybe;',
     qq(invalid value "maybe" in "azoai" directive, $ONOFF)],
    ['azoai', 'azoai on off;',
     'invalid number of arguments in "azoai" directive'],
    ['azoai_mode', 'azoai_mode block;', 'invalid value "block"'],
    ['azoai_deployment', 'azoai_deployment only-a-name;',
     'invalid number of arguments in "azoai_deployment" directive'],
    ['azoai_deployment', 'azoai_deployment d gpt-4o;',
     'invalid number of arguments in "azoai_deployment" directive'],
    ['azoai_preview_api', 'azoai_preview_api sometimes;',
     'invalid value "sometimes"'],
    ['azoai_unknown_deployment', 'azoai_unknown_deployment yes;',
     'invalid value "yes"'],
    ['azoai_max_body_size', 'azoai_max_body_size lots;',
     'invalid value "lots" in "azoai_max_body_size" directive, it must be '
     . 'a size in bytes with an optional k, m or g suffix, such as 512k, '
     . '8m or 1g'],
    ['azoai_invalid_body', 'azoai_invalid_body ignore;',
     'invalid value "ignore"'],
    ['azoai_pii', 'azoai_pii maybe;',
     qq(invalid value "maybe" in "azoai_pii" directive, $ONOFF)],
    ['azoai_audit_headers', 'azoai_audit_headers loud;',
     qq(invalid value "loud" in "azoai_audit_headers" directive, $ONOFF)],
    ['azoai_catalog', 'azoai_catalog;',
     'invalid number of arguments in "azoai_catalog" directive'],
);

for my $case (@bad_directives) {
    my ($name, $line, $msg) = @$case;
    $t->write_conf(<<"EOF", file => 'bad.conf');
    server {
        listen 127.0.0.1:%%PORT%%;
        location / {
            $line
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF
    ($rc, $out) = $t->nginx_test("$t->{dir}/bad.conf");
    isnt($rc, 0, "'$line': nginx -t fails");

    # the directive by name, or (NGINX's enum slots) its file and line
    my @conf = split /\n/, $t->read_file('bad.conf');
    my ($lineno) = grep { $conf[$_ - 1] =~ /\Q$line\E/ } 1 .. @conf;
    like($out, qr/"\Q$name\E"|\[emerg\] .*bad\.conf:$lineno\b/,
         "'$line': the error points at $name") or diag($out);
    like($out, emerg_re($msg), "'$line': the message") or diag($out);
}

# duplicate directive in one block
$t->write_conf(<<'EOF', file => 'bad.conf');
    server {
        listen 127.0.0.1:%%PORT%%;
        location / {
            azoai on;
            azoai off;
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF
($rc, $out) = $t->nginx_test("$t->{dir}/bad.conf");
isnt($rc, 0, 'azoai twice in a location: nginx -t fails');
like($out, emerg_re('"azoai" directive is duplicate'),
     'azoai twice in a location: the message') or diag($out);

# the module's own messages: [http-level lines, location lines, message]
$t->write_file('short.key', "0123456789\n");
$t->write_file('long.key', 'k' x 5000);
my $D = $t->dir;
my $BUILTIN = 'built-in: email, phone, credit_card, iban, us_ssn, ipv4, '
    . 'ipv6, secret, uk_nhs, uk_nino, us_itin, us_mbi, us_npi, ca_sin, '
    . 'de_tax_id, fr_nir, es_dni, it_fiscal_code, nl_bsn, in_aadhaar, '
    . 'br_cpf, au_tfn, sg_nric, crypto_wallet';
my $TYPES_GROUPS = "($BUILTIN; groups: secrets, national_ids, financial, "
    . 'network, contact; or an azoai_pii_pattern name)';
my @module_errors = (
    ['', 'azoai_deployment chat/prod gpt-4o 2024-11-20;',
     'invalid azoai_deployment argument "chat/prod": use letters, digits, '
     . '".", "_" or "-", 64 characters at most'],
    ['', 'azoai_deployment chat:prod gpt-4o 2024-11-20;',
     'invalid azoai_deployment argument "chat:prod": use letters, digits, '
     . '".", "_" or "-", 64 characters at most'],
    ['', 'azoai_deployment chat-prod gpt-4o *;',
     'invalid azoai_deployment argument "*": use letters, digits, '
     . '".", "_" or "-", 64 characters at most'],
    ['', 'azoai_deployment ' . ('d' x 65) . ' gpt-4o 2024-11-20;',
     'invalid azoai_deployment argument "' . ('d' x 65) . '": use '
     . 'letters, digits, ".", "_" or "-", 64 characters at most'],
    ['', 'azoai_pii on; azoai_pii_types email phonee;',
     qq(azoai_pii_types: unknown PII type "phonee" $TYPES_GROUPS)],
    ['', 'azoai_pii on; azoai_pii_action emial mask;',
     qq(azoai_pii_action: unknown PII type "emial" $TYPES_GROUPS)],
    ['', 'azoai_pii_action scramble;',
     'invalid azoai_pii_action "scramble": use mask, hash, partial, '
     . 'pseudonym or block'],
    ['', 'azoai_pii on; azoai_pii_action hash;',
     'azoai_pii: pii action "hash" for "email" needs a hash key (see '
     . 'azoai_pii_action and azoai_pii_hash_key; azoai_pii in '],
    ['', 'azoai_pii_pattern Employee-Id "EMP-[0-9]{6}";',
     'invalid azoai_pii_pattern name "Employee-Id": use 1 to 32 lower-case '
     . 'letters, digits or "_"'],
    ['', 'azoai_pii_pattern email "x@y";',
     'azoai_pii_pattern "email" has the name of a built-in detector'],
    ['', 'azoai_pii_pattern email_2 "x@y";',
     'azoai_pii_pattern "email_2": a name cannot end in "_" and digits, '
     . 'its tag would read as a pseudonym'],
    ['', 'azoai_pii_pattern emp_10 "EMP-[0-9]{6}";',
     'azoai_pii_pattern "emp_10": a name cannot end in "_" and digits, '
     . 'its tag would read as a pseudonym'],
    ['', 'azoai_pii_pattern emp "";',
     '"azoai_pii_pattern" directive needs a non-empty regular expression'],
    ['', 'azoai_pii on; azoai_pii_pattern emp "EMP-(";',
     'azoai_pii_pattern "emp": pii pattern "emp": missing closing '
     . 'parenthesis at offset 5'],
    ['', 'azoai_pii_pattern emp "a"; azoai_pii_pattern emp "b";',
     'duplicate azoai_pii_pattern "emp"'],
    ['', "azoai_pii_hash_key $D/missing.key;",
     qq(open() "$D/missing.key" failed (2: No such file or directory))],
    ['', "azoai_pii_hash_key $D/short.key;",
     qq(azoai_pii_hash_key "$D/short.key" must hold at least 16 bytes of )
     . 'key'],
    ['', "azoai_pii_hash_key $D/long.key;",
     qq(azoai_pii_hash_key "$D/long.key" is larger than 4096 bytes)],
    ['azoai_metrics_zone azoai 16k;', '',
     'azoai_metrics_zone "azoai" size "16k" is too small: it needs at '
     . 'least '],
    ['azoai_metrics_zone azoai lots;', '',
     'invalid azoai_metrics_zone "azoai" size "lots"'],
    ['azoai_metrics_zone a 1m; azoai_metrics_zone b 1m;', '',
     '"azoai_metrics_zone" directive is duplicate'],
    ['', 'azoai_metrics_zone azoai 1m;',
     '"azoai_metrics_zone" directive is not allowed here'],
    ['azoai_metrics;', '', '"azoai_metrics" directive is not allowed here'],
);

for my $case (@module_errors) {
    my ($http, $loc, $msg) = @$case;
    $t->write_conf(<<"EOF", file => 'bad.conf');
    $http
    server {
        listen 127.0.0.1:%%PORT%%;
        location / {
            $loc
            proxy_pass http://%%UPSTREAM%%;
        }
    }
EOF
    ($rc, $out) = $t->nginx_test("$t->{dir}/bad.conf");
    my $what = $http . $loc;
    isnt($rc, 0, "'$what': nginx -t fails");
    like($out, qr/\[emerg\] (?:\d+#\d+: )?\Q$msg\E/, "'$what': the message")
        or diag($out);
}

# the module's directives are unknown without load_module
my $plain = AzoaiTest->new(module => undef);
$plain->write_conf(<<'EOF');
    server {
        listen 127.0.0.1:%%PORT%%;
        location / { azoai on; return 204; }
    }
EOF
($rc, $out) = $plain->nginx_test;
like($out, qr/unknown directive "azoai"/,
     'without load_module the directive is unknown');

$t->error_log_clean;

done_testing;
