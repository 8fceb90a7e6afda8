#!/usr/bin/perl

# The module loads into the packaged NGINX; configuration errors (catalog
# file, directive arguments) fail `nginx -t` and say where.

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

# catalog errors name the file
my %bad_catalogs = (
    'not JSON'       => '{"models": {',
    'bad status'     => '{"models":{"gpt-4o":{"2024-11-20":"beta"}}}',
    'models a list'  => '{"models":["gpt-4o"]}',
    'deployment without model' =>
        '{"models":{},"deployments":{"d":{"version":"1"}}}',
);

for my $what (sort keys %bad_catalogs) {
    my $file = $t->write_catalog($bad_catalogs{$what}, 'bad-catalog.json');
    (my $conf = $good) =~ s/%%CATALOG%%/$file/;
    $t->write_conf($conf, file => 'bad.conf');
    ($rc, $out) = $t->nginx_test("$t->{dir}/bad.conf");
    isnt($rc, 0, "catalog $what: nginx -t fails");
    like($out, qr/\Q$file\E|bad-catalog\.json/,
         "catalog $what: the error names the file") or diag($out);
    like($out, qr/\[emerg\]/, "catalog $what: emerg");
}

{
    (my $conf = $good) =~ s/%%CATALOG%%/%%DIR%%\/missing-catalog.json/;
    $t->write_conf($conf, file => 'bad.conf');
    ($rc, $out) = $t->nginx_test("$t->{dir}/bad.conf");
    isnt($rc, 0, 'missing catalog: nginx -t fails');
    like($out, qr/missing-catalog\.json/, 'missing catalog: named')
        or diag($out);
}

# bad directive arguments
my @bad_directives = (
    ['azoai', 'azoai maybe;'],
    ['azoai', 'azoai on off;'],
    ['azoai_mode', 'azoai_mode block;'],
    ['azoai_deployment', 'azoai_deployment only-a-name;'],
    ['azoai_deployment', 'azoai_deployment d gpt-4o;'],
    ['azoai_preview_api', 'azoai_preview_api sometimes;'],
    ['azoai_unknown_deployment', 'azoai_unknown_deployment yes;'],
    ['azoai_max_body_size', 'azoai_max_body_size lots;'],
    ['azoai_invalid_body', 'azoai_invalid_body ignore;'],
    ['azoai_pii', 'azoai_pii maybe;'],
    ['azoai_audit_headers', 'azoai_audit_headers loud;'],
    ['azoai_catalog', 'azoai_catalog;'],
);

for my $case (@bad_directives) {
    my ($name, $line) = @$case;
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
